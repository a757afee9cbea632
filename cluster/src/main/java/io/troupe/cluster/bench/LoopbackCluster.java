package io.troupe.cluster.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** Several cluster nodes in this JVM on loopback ports, joined to the first: for benchmarks of cross-node paths. */
public final class LoopbackCluster implements AutoCloseable {
    private final List<ActorSystem<Void>> nodes;
    private final String name;
    private final String extraHocon;

    private LoopbackCluster(List<ActorSystem<Void>> nodes, String name, String extraHocon) {
        this.nodes = new ArrayList<>(nodes);
        this.name = name;
        this.extraHocon = extraHocon;
    }

    /** Starts one more node with {@code roles}, joining the first; returns once it is Up (as it sees itself). */
    public ActorSystem<Void> add(List<String> roles) throws Exception {
        ActorSystem<Void> node = create(name, roles, extraHocon);
        CompletableFuture<Void> up = new CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(node)).registerOnMemberUp(() -> up.complete(null));
        Cluster.get(node).manager().tell(Join.create(Cluster.get(nodes.get(0)).selfMember().address()));
        nodes.add(node);
        up.get(60, TimeUnit.SECONDS);
        return node;
    }

    private static ActorSystem<Void> create(String name, List<String> r, String extraHocon) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Config c = ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.loglevel = WARNING
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                """).withFallback(ConfigFactory.parseString(extraHocon))
                .withFallback(ConfigFactory.parseMap(Map.of("pekko.remote.artery.canonical.port", port,
                        "pekko.cluster.roles", r))).withFallback(ConfigFactory.load()).resolve();
        ActorSystem<Void> node = ActorSystem.create(Behaviors.empty(), name, c);
        io.troupe.cluster.node.EmbeddedNode.startReplicator(node);
        return node;
    }

    /** Starts {@code roles.size()} nodes named {@code name}, node i with {@code roles.get(i)}; returns once all are Up. */
    public static LoopbackCluster start(String name, List<List<String>> roles, String extraHocon) throws Exception {
        List<ActorSystem<Void>> nodes = new ArrayList<>();
        try {
            for (List<String> r : roles) {
                nodes.add(create(name, r, extraHocon));
            }
            List<CompletableFuture<Void>> up = new ArrayList<>();
            for (ActorSystem<Void> n : nodes) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(n)).registerOnMemberUp(() -> f.complete(null));
                up.add(f);
                Cluster.get(n).manager().tell(Join.create(Cluster.get(nodes.get(0)).selfMember().address()));
            }
            CompletableFuture.allOf(up.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            // every node must also see every other one Up (a node's own Up comes before the others hear of it)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (ActorSystem<Void> n : nodes) {
                while (countUp(n) < nodes.size()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the loopback cluster did not converge in 60 s");
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
            }
            return new LoopbackCluster(nodes, name, extraHocon);
        } catch (Exception e) {
            nodes.forEach(ActorSystem::terminate);
            throw e;
        }
    }

    private static long countUp(ActorSystem<?> node) {
        long up = 0;
        for (org.apache.pekko.cluster.Member m : Cluster.get(node).state().getMembers()) {
            if (m.status() == org.apache.pekko.cluster.MemberStatus.up()) {
                up++;
            }
        }
        return up;
    }

    public ActorSystem<Void> node(int i) {
        return nodes.get(i);
    }

    public int size() {
        return nodes.size();
    }

    @Override
    public void close() throws Exception {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).terminate();
        }
        for (ActorSystem<Void> n : nodes) {
            n.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }
}
