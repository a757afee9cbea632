package io.troupe.cluster.node;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.Flag;
import org.apache.pekko.cluster.ddata.FlagKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * The end of a distributed job: the node that reports the run raises a cluster-wide flag (Distributed Data) when the
 * target is reached or a budget is spent, and every node, following the flag, leaves the cluster gracefully.
 */
public final class JobEnd {
    static final Key<Flag> KEY = FlagKey.create("troupe-job-done");

    /** The follower's protocol: the flag's changes. */
    public record Changed(Replicator.SubscribeResponse<Flag> response) implements NoSerializationVerificationNeeded {
    }

    private JobEnd() {
    }

    /**
     * Stops this node cleanly ({@link OrderedStop}: agents, replay, the learner, then it leaves the cluster) once the
     * job is done; {@code onEnd} runs first.
     */
    public static Behavior<Changed> follower(Runnable onEnd, NodeTimeouts timeouts) {
        return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Changed, Flag> replicator) -> {
                    replicator.subscribe(KEY, Changed::new);
                    return Behaviors.receiveMessage(c -> {
                        if (c.response() instanceof Replicator.Changed<Flag> changed
                                && changed.get(KEY).enabled()) {
                            onEnd.run();
                            OrderedStop.leave(ctx.getSystem(), timeouts);
                            return Behaviors.stopped();
                        }
                        return Behaviors.same();
                    });
                }));
    }

    /** Raises the flag on a majority of nodes within {@code timeout} (the others learn it by gossip). */
    public static void announce(ActorSystem<?> system, Duration timeout) throws Exception {
        // the replicator answers within the write timeout (success or a timeout reply): the ask allows a second more
        AskPattern.<Replicator.Command, Replicator.UpdateResponse<Flag>>ask(DistributedData.get(system).replicator(),
                replyTo -> new Replicator.Update<>(KEY, Flag.create(), new Replicator.WriteMajority(timeout), replyTo,
                        Flag::switchOn),
                timeout.plusSeconds(1), system.scheduler()).toCompletableFuture()
                .get(timeout.plusSeconds(2).toMillis(), TimeUnit.MILLISECONDS);
    }
}
