package io.troupe.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            # one node: it joins itself and is Up at the leader's next tick; Pekko's 1 s defaults (sized for gossip
            # between many nodes) would add about 2 s to every launch
            pekko.cluster.periodic-tasks-initial-delay = 50ms
            pekko.cluster.leader-actions-interval = 100ms
            pekko.cluster.sharding.retry-interval = 200ms
            """;

    private EmbeddedNode() {
    }

    /** The embedded node's settings with {@code hocon} on top, over {@code fallback}, resolved. */
    public static Config config(String hocon, Config fallback) {
        return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.parseString(BASE)).withFallback(fallback)
                .resolve();
    }

    /** Starts the node, joins it to itself, and returns once it is Up. */
    public static ActorSystem<Void> start(String name, Config config) throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
        try {
            startReplicator(system);
            CompletableFuture<Void> up = new CompletableFuture<>();
            org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
            Cluster.get(system).manager().tell(Join.create(Cluster.get(system).selfMember().address()));
            up.get(30, TimeUnit.SECONDS);
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
        org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData.get(system);
    }

    /** Terminates the node and waits for it. */
    public static void stop(ActorSystem<?> system) throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
}
