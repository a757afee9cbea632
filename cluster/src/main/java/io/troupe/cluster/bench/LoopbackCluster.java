package io.troupe.cluster.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.cluster.node.EmbeddedNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Several cluster nodes in this JVM on loopback ports, joined to the first: for benchmarks of cross-node paths. Each
 * node binds port 0 (Artery takes a free port itself) and is joined at the address it reports, so no port is picked
 * by closing a socket and binding it again, which another process can take in between.
 */
public final class LoopbackCluster implements AutoCloseable {
    private final List<ActorSystem<Void>> nodes;
    private final String name;
    private final Config extra;

    private LoopbackCluster(List<ActorSystem<Void>> nodes, String name, Config extra) {
        this.nodes = new ArrayList<>(nodes);
        this.name = name;
        this.extra = extra;
    }

    /** Starts one more node with {@code roles}, joining the first; returns once it is Up (as it sees itself). */
    public ActorSystem<Void> add(List<String> roles) throws Exception {
        ActorSystem<Void> node = create(name, roles, extra);
        CompletableFuture<Void> up = new CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(node)).registerOnMemberUp(() -> up.complete(null));
        Cluster.get(node).manager().tell(Join.create(Cluster.get(nodes.get(0)).selfMember().address()));
        nodes.add(node);
        up.get(60, TimeUnit.SECONDS);
        return node;
    }

    private static ActorSystem<Void> create(String name, List<String> roles, Config extra) {
        Config c = ConfigFactory.empty()
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
                .withValue("pekko.loglevel", ConfigValueFactory.fromAnyRef("WARNING"))
                .withValue("pekko.cluster.jmx.multi-mbeans-in-same-jvm", ConfigValueFactory.fromAnyRef(true))
                .withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", ConfigValueFactory.fromAnyRef(false))
                .withFallback(extra)
                .withFallback(ConfigFactory.empty()
                        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
                        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles)))
                .withFallback(ConfigFactory.load()).resolve();
        ActorSystem<Void> node = ActorSystem.create(Behaviors.empty(), name, c);
        EmbeddedNode.startReplicator(node);
        return node;
    }

    /**
     * Starts {@code roles.size()} nodes named {@code name}, node i with {@code roles.get(i)} and {@code extra} over the
     * defaults (build it with {@code withValue}); returns once all are Up.
     */
    public static LoopbackCluster start(String name, List<List<String>> roles, Config extra) throws Exception {
        List<ActorSystem<Void>> nodes = new ArrayList<>();
        try {
            for (List<String> r : roles) {
                nodes.add(create(name, r, extra));
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
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
            }
            return new LoopbackCluster(nodes, name, extra);
        } catch (Exception e) {
            nodes.forEach(ActorSystem::terminate);
            throw e;
        }
    }

    private static long countUp(ActorSystem<?> node) {
        long up = 0;
        for (Member m : Cluster.get(node).state().getMembers()) {
            if (m.status() == MemberStatus.up()) {
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
