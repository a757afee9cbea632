package io.troupe.cluster.node;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
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

    /** Leaves the cluster (and so ends this node) once the job is done; {@code onEnd} runs first. */
    public static Behavior<Changed> follower(Runnable onEnd) {
        return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Changed, Flag> replicator) -> {
                    replicator.subscribe(KEY, Changed::new);
                    return Behaviors.receiveMessage(c -> {
                        if (c.response() instanceof Replicator.Changed<Flag> changed
                                && changed.get(KEY).enabled()) {
                            onEnd.run();
                            CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem()))
                                    .runAll(CoordinatedShutdown.clusterLeavingReason());
                            return Behaviors.stopped();
                        }
                        return Behaviors.same();
                    });
                }));
    }

    /** Raises the flag on a majority of nodes (the others learn it by gossip). */
    public static void announce(ActorSystem<?> system) throws Exception {
        AskPattern.<Replicator.Command, Replicator.UpdateResponse<Flag>>ask(DistributedData.get(system).replicator(),
                replyTo -> new Replicator.Update<>(KEY, Flag.create(), new Replicator.WriteMajority(
                        java.time.Duration.ofSeconds(5)), replyTo, Flag::switchOn),
                java.time.Duration.ofSeconds(7), system.scheduler()).toCompletableFuture()
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
}
