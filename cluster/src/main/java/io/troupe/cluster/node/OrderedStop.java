package io.troupe.cluster.node;

import io.troupe.replay.shard.ReplaySharding;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;

/**
 * A clean stop of this node's part of a job, against the direction data flows: first the agents (they write to
 * replay), then the replay shards, then the learner and the node itself (coordinated shutdown: the learner singleton
 * checkpoints as it stops, then the node leaves the cluster and terminates).
 *
 * <p>Why the order matters: a shard region shutting down gracefully finishes only when it holds no buffered message,
 * and a message sent to it once its shards are handed off is buffered until the region gives up (10 s, with a
 * warning). Left to coordinated shutdown, every region shuts down at once while the agents still write to replay and
 * the keep-alives (the agents' ShardedDaemonProcess pinger, the replay keep-alive) still ping both: a run that had
 * reached its target could hang for 10 s. So the keep-alives stop first, then the agents' region (nothing else writes
 * to it), then the replay region (its writers are gone), and only then the rest.
 */
public final class OrderedStop {
    /** The region and the keep-alive pinger of {@link ClusterJob}'s agents (a ShardedDaemonProcess), as Pekko names them. */
    private static final String AGENTS_REGION = "sharded-daemon-process-" + ClusterJob.AGENTS;
    private static final String AGENTS_PINGER = "ShardedDaemonProcessKeepAlive-" + ClusterJob.AGENTS;
    /** The replay keep-alive {@link ReplaySharding} starts on replay nodes. */
    private static final String REPLAY_KEEP_ALIVE = "troupe-replay-keep-alive";

    private OrderedStop() {
    }

    /**
     * Stops the job on this node, then leaves the cluster and terminates; completes when the node has terminated. A
     * stage that takes longer than {@code stop-stage-timeout} is said in the log and the stop moves on.
     */
    public static CompletionStage<Done> stopNode(ActorSystem<?> system, NodeTimeouts timeouts,
                                                 CoordinatedShutdown.Reason reason) {
        return stopJob(system, timeouts)
                .thenCompose(d -> CoordinatedShutdown.get(Adapter.toClassic(system)).runAll(reason))
                .thenCompose(d -> system.getWhenTerminated().thenApply(t -> Done.getInstance()));
    }

    /** The agents, then the replay shards of this node (the learner and the node are coordinated shutdown's). */
    static CompletionStage<Done> stopJob(ActorSystem<?> system, NodeTimeouts timeouts) {
        Duration stage = timeouts.stopStageTimeout();
        return stopSystemActor(system, AGENTS_PINGER, stage)
                .thenCompose(d -> stopSystemActor(system, REPLAY_KEEP_ALIVE, stage))
                .thenCompose(d -> shutDownRegion(system, AGENTS_REGION, "the agents", stage))
                .thenCompose(d -> shutDownRegion(system, ReplaySharding.ENTITY_KEY.name(), "the replay shards",
                        stage));
    }

    /** Stops {@code /system/<name>} if this node runs it. */
    private static CompletionStage<Done> stopSystemActor(ActorSystem<?> system, String name, Duration timeout) {
        var classic = Adapter.toClassic(system);
        return classic.actorSelection("/system/" + name).resolveOne(timeout)
                .handle((ref, failure) -> {
                    if (ref != null) {
                        classic.stop(ref);
                    }
                    return Done.getInstance(); // not running on this node (another role): nothing to stop
                });
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
        return Patterns.gracefulStop(region, timeout, ShardRegion.gracefulShutdownInstance())
                .handle((stopped, failure) -> {
                    if (failure != null) {
                        system.log().warn("stopping {} took longer than troupe.node.stop-stage-timeout ({}); going "
                                + "on with the stop", what, timeout);
                    }
                    return Done.getInstance();
                });
    }
}
