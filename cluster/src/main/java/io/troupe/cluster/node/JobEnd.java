package io.troupe.cluster.node;

import io.troupe.actors.Agent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ddata.Flag;
import org.apache.pekko.cluster.ddata.FlagKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * The end of a distributed job, in two cluster-wide steps (Distributed Data flags, written to every reachable node):
 * the node that reports the run raises {@code stopping} when the target is reached or a budget is spent, and every
 * node stops its agents and its replay keep-alive; once no agent is left (or {@code troupe.node.stop-stage-timeout} passed) it raises
 * {@code done}, and every node stops the rest in order ({@link OrderedStop}: replay, the learner) and leaves. So no
 * agent writes to a replay shard that is being handed over: every node's agents stop before any node's replay.
 */
public final class JobEnd {
    static final Key<Flag> STOPPING = FlagKey.create("troupe-job-stopping");
    static final Key<Flag> DONE = FlagKey.create("troupe-job-done");

    /** The follower's protocol: the flags' changes. */
    public record Changed(Replicator.SubscribeResponse<Flag> response) implements NoSerializationVerificationNeeded {
    }

    private JobEnd() {
    }

    /**
     * Follows the flags on this node: stops its agents on {@code stopping} ({@code onStopping} runs first), and stops
     * the rest and leaves the cluster (and so ends this node) on {@code done} ({@code onEnd} runs first).
     */
    public static Behavior<Changed> follower(Runnable onStopping, Runnable onEnd, NodeTimeouts timeouts) {
        return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Changed, Flag> replicator) -> {
                    replicator.subscribe(STOPPING, Changed::new);
                    replicator.subscribe(DONE, Changed::new);
                    boolean[] agentsStopped = {false};
                    return Behaviors.receiveMessage(c -> {
                        if (!(c.response() instanceof Replicator.Changed<Flag> changed)
                                || !changed.dataValue().enabled()) {
                            return Behaviors.same();
                        }
                        if (changed.key().equals(DONE)) {
                            onEnd.run();
                            OrderedStop.leave(ctx.getSystem(), timeouts);
                            return Behaviors.stopped();
                        }
                        if (!agentsStopped[0]) {
                            agentsStopped[0] = true;
                            onStopping.run();
                            OrderedStop.stopAgents(ctx.getSystem(), timeouts);
                        }
                        return Behaviors.same();
                    });
                }));
    }

    /**
     * Ends the job on every node: raises {@code stopping}, waits until no agent is left in the cluster (at most
     * {@code stop-stage-timeout}), then raises {@code done}. Each write waits at most {@code job-end-write-timeout} for
     * every node (the flags also spread by gossip).
     */
    public static void announce(ActorSystem<?> system, NodeTimeouts timeouts) throws Exception {
        raise(system, STOPPING, timeouts);
        CompletableFuture<Done> agentsGone = new CompletableFuture<>();
        system.systemActorOf(Behaviors.<Receptionist.Listing>setup(ctx -> {
            system.receptionist().tell(Receptionist.subscribe(Agent.SERVICE_KEY, ctx.getSelf()));
            return Behaviors.receiveMessage(listing -> {
                if (listing.getServiceInstances(Agent.SERVICE_KEY).isEmpty()) {
                    agentsGone.complete(Done.getInstance());
                    return Behaviors.stopped();
                }
                return Behaviors.same();
            });
        }), "troupe-job-end-agents", Props.empty());
        try {
            agentsGone.get(timeouts.stopStageTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            system.log().info("agents still listed {} after the job ended; stopping the rest anyway",
                    timeouts.stopStageTimeout());
        }
        raise(system, DONE, timeouts);
    }

    private static void raise(ActorSystem<?> system, Key<Flag> key, NodeTimeouts timeouts) throws Exception {
        // the replicator answers within the write timeout (success, or a timeout when a node did not confirm: the flag
        // is set here all the same and reaches that node by gossip); the ask allows a second more
        try {
            AskPattern.<Replicator.Command, Replicator.UpdateResponse<Flag>>ask(
                    DistributedData.get(system).replicator(),
                    replyTo -> new Replicator.Update<>(key, Flag.create(),
                            new Replicator.WriteAll(timeouts.jobEndWriteTimeout()), replyTo, Flag::switchOn),
                    timeouts.jobEndWriteTimeout().plusSeconds(1), system.scheduler()).toCompletableFuture()
                    .get(timeouts.jobEndWriteTimeout().plusSeconds(2).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            system.log().info("raising {} took longer than {}; it spreads by gossip", key.id(),
                    timeouts.jobEndWriteTimeout());
        }
    }
}
