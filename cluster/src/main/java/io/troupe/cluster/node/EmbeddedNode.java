package io.troupe.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** A one-node cluster with every role on a free loopback port: the embedded trainer's node, and the benchmarks'. */
public final class EmbeddedNode {
    private static final String BASE = """
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.roles = ["agent", "replay", "learner"]
            pekko.loglevel = WARNING
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            # neither the cluster's JMX beans nor Pekko's flight-recorder events are read by anything here; registering
            # them took about 0.08 s of every launch (./troupe train, five launches each way)
            pekko.cluster.jmx.enabled = off
            pekko.java-flight-recorder.enabled = off
            # one node: it joins itself and is Up at the leader's next tick; Pekko's 1 s defaults (sized for gossip
            # between many nodes) would add about 2 s to every launch
            pekko.cluster.periodic-tasks-initial-delay = 50ms
            pekko.cluster.leader-actions-interval = 100ms
            pekko.cluster.sharding.retry-interval = 200ms
            """;

    private EmbeddedNode() {
    }

    /** The embedded node's settings with {@code hocon} (HOCON of a test or a bench) on top, over {@code fallback}. */
    public static Config config(String hocon, Config fallback) {
        return config(ConfigFactory.parseString(hocon), fallback);
    }

    /** The embedded node's settings with {@code top} on top, over {@code fallback}, resolved. */
    public static Config config(Config top, Config fallback) {
        return top.withFallback(ConfigFactory.parseString(BASE)).withFallback(fallback).resolve();
    }

    /** Starts the node, joins it to itself, and returns once it is Up (within {@code troupe.node.up-timeout}). */
    public static ActorSystem<Void> start(String name, Config config) throws Exception {
        NodeTimeouts timeouts = NodeTimeouts.fromConfig(config);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
        try {
            startReplicator(system);
            CompletableFuture<Void> up = new CompletableFuture<>();
            // the classic API (its name clashes with the typed Cluster imported here) has the Up callback
            org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
            Cluster.get(system).manager().tell(Join.create(Cluster.get(system).selfMember().address()));
            up.get(timeouts.upTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return system;
        } catch (Exception e) {
            system.terminate();
            throw e;
        }
    }

    /**
     * Starts the node's Distributed Data replicator now rather than at its first use: a node whose replicator is not
     * running cannot acknowledge writes (reward versions, weights announcements), so a majority write would time out.
     * Every cluster node Troupe starts calls this.
     */
    public static void startReplicator(ActorSystem<?> system) {
        DistributedData.get(system);
    }

    /**
     * Stops the node cleanly ({@link OrderedStop}: agents, replay, then the learner, which checkpoints, and the node)
     * and waits for it, at most {@code troupe.node.terminate-timeout} past the stop's stages.
     */
    public static void stop(ActorSystem<?> system) throws Exception {
        NodeTimeouts timeouts = NodeTimeouts.fromConfig(system.settings().config());
        OrderedStop.stopAlone(system, timeouts).toCompletableFuture()
                .get(OrderedStop.longest(timeouts).toMillis(), TimeUnit.MILLISECONDS);
    }
}
