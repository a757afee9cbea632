package io.troupe.cluster.node;

import io.troupe.replay.shard.ReplaySharding;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.pattern.Patterns;

/**
 * A clean stop of this node's part of a job, against the direction data flows: first the agents (they write to
 * replay), then the replay shards, then the learner (it checkpoints as it stops), then the node itself.
 *
 * <p>Why the order matters: a shard region shutting down gracefully finishes only when it holds no buffered message,
 * and a message sent to it once its shards are handed off is buffered until the region gives up (10 s, with the
 * warnings "Requested shard homes ... buffered messages" and "Graceful shutdown of shard region timed out"). Left to
 * coordinated shutdown, every region shuts down at once while the agents still write to replay and the keep-alives
 * (the agents' ShardedDaemonProcess pinger, the replay keep-alive) still ping both: a run that had reached its target
 * could hang for 10 s. So the keep-alives stop first, then the agents' region (nothing else writes to it), then the
 * replay keep-alive, then the replay region (its writers are gone), then the learner singleton, and only then the
 * node.
 *
 * <p>Each stage waits at most {@code troupe.node.stop-stage-timeout}; one that takes longer is said in the log and the
 * stop moves on.
 */
public final class OrderedStop {
    /** The region and keep-alive pinger of {@link ClusterJob}'s agents (a ShardedDaemonProcess) as Pekko names them. */
    private static final String AGENTS_REGION = "sharded-daemon-process-" + ClusterJob.AGENTS;
    private static final String AGENTS_PINGER = "/system/ShardedDaemonProcessKeepAlive-" + ClusterJob.AGENTS;
    /** The replay keep-alive {@link ReplaySharding} starts on replay nodes. */
    private static final String REPLAY_KEEP_ALIVE = "/system/troupe-replay-keep-alive";
    /** The learner singleton ({@code Learner.initSingleton}: its manager and the singleton, named "troupe-learner"). */
    private static final String LEARNER = "/system/singletonManagertroupe-learner/troupe-learner";

    /** The stages of {@link #stopJob}, each bounded by the stage timeout. */
    private static final int STAGES = 5;

    private OrderedStop() {
    }

    /**
     * Stops the job on this node, then leaves the cluster (coordinated shutdown) and terminates; completes when the
     * node has terminated. For a node of a cluster of several.
     */
    public static CompletionStage<Done> leave(ActorSystem<?> system, NodeTimeouts timeouts) {
        return stopJob(system, timeouts)
                .thenCompose(d -> CoordinatedShutdown.get(Adapter.toClassic(system))
                        .runAll(CoordinatedShutdown.clusterLeavingReason()))
                .thenCompose(d -> terminated(system));
    }

    /**
     * Stops the job on a node that is the whole cluster (the embedded node), then the node: it downs itself, which runs
     * coordinated shutdown at once; leaving would wait about a second for the leader's membership steps, with nobody to
     * hand anything over to. Completes when the node has terminated.
     */
    public static CompletionStage<Done> stopAlone(ActorSystem<?> system, NodeTimeouts timeouts) {
        return stopJob(system, timeouts).thenCompose(d -> {
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(new Down(cluster.selfMember().address()));
            return terminated(system);
        });
    }

    /** The longest a stop may take: every stage at its timeout, then leaving and terminating at theirs. */
    public static Duration longest(NodeTimeouts timeouts) {
        return timeouts.stopStageTimeout().multipliedBy(STAGES).plus(timeouts.terminateTimeout());
    }

    private static CompletionStage<Done> terminated(ActorSystem<?> system) {
        return system.getWhenTerminated().thenApply(t -> Done.getInstance());
    }

    /**
     * The first stage alone: this node's agents (their keep-alive, then their region), then its replay keep-alive. A
     * cluster runs it on every node before any node stops its replay shards ({@link JobEnd}), so neither an agent nor
     * another node's replay keep-alive (which asks every shard, wherever it lives, to run) writes to a region that is
     * handing its shards off: a keep-alive still running on node B while node A's replay region shut down made A's
     * region buffer B's start request and time out ("Graceful shutdown of shard region timed out", seen once in
     * {@code ClusterNodesTest}). Stopping them again later does nothing.
     */
    public static CompletionStage<Done> stopAgents(ActorSystem<?> system, NodeTimeouts timeouts) {
        Duration stage = timeouts.stopStageTimeout();
        return stopActor(system, AGENTS_PINGER, "the agents' keep-alive", stage)
                .thenCompose(d -> shutDownRegion(system, AGENTS_REGION, "the agents", stage))
                .thenCompose(d -> stopActor(system, REPLAY_KEEP_ALIVE, "the replay keep-alive", stage));
    }

    /** The agents and the replay keep-alive, then the replay shards, then the learner of this node. */
    static CompletionStage<Done> stopJob(ActorSystem<?> system, NodeTimeouts timeouts) {
        Duration stage = timeouts.stopStageTimeout();
        return stopAgents(system, timeouts)
                .thenCompose(d -> shutDownRegion(system, ReplaySharding.ENTITY_KEY.name(), "the replay shards", stage))
                .thenCompose(d -> stopActor(system, LEARNER, "the learner", stage));
    }

    /** Stops the actor at {@code path} if this node runs it, and waits until it has stopped. */
    private static CompletionStage<Done> stopActor(ActorSystem<?> system, String path, String what, Duration timeout) {
        return Adapter.toClassic(system).actorSelection(path).resolveOne(timeout)
                .handle((ref, notHere) -> ref) // not running on this node (another role): nothing to stop
                .thenCompose(ref -> ref == null ? CompletableFuture.completedFuture(Done.getInstance())
                        : awaitStop(system, Patterns.gracefulStop(ref, timeout, PoisonPill.getInstance()), what,
                                timeout));
    }

    /** Shuts the sharding region of {@code typeName} down gracefully (its entities get their stop message). */
    private static CompletionStage<Done> shutDownRegion(ActorSystem<?> system, String typeName, String what,
                                                        Duration timeout) {
        ActorRef region;
        try {
            region = ClusterSharding.get(Adapter.toClassic(system)).shardRegion(typeName);
        } catch (IllegalStateException | IllegalArgumentException notStarted) {
            return CompletableFuture.completedFuture(Done.getInstance());
        }
        return awaitStop(system, Patterns.gracefulStop(region, timeout, ShardRegion.gracefulShutdownInstance()), what,
                timeout);
    }

    private static CompletionStage<Done> awaitStop(ActorSystem<?> system, CompletionStage<Boolean> stopped,
                                                   String what, Duration timeout) {
        return stopped.handle((ok, failure) -> {
            if (failure != null) {
                system.log().warn("stopping {} took longer than troupe.node.stop-stage-timeout ({}); going on with the "
                        + "stop", what, timeout);
            }
            return Done.getInstance();
        });
    }
}
