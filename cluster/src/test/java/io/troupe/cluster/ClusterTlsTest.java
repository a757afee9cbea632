package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.cluster.bench.LoopbackCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery over TLS with mutual authentication, configured by conf/tls.conf with certificates made by
 * scripts/tls-certs.sh: nodes holding a certificate of the cluster's CA form a cluster; a node whose certificate
 * another CA signed cannot join, while a trusted node started at the same moment can.
 */
class ClusterTlsTest {
    private static final String PASSWORD = "tls-test-password";

    @TempDir
    Path dir;

    private void certificates(Path target, String node) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "scripts", "tls-certs.sh").toString(),
                target.toString(), node).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("TROUPE_TLS_PASSWORD", PASSWORD); // never on a command line
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
    }

    private static Config tls(Path keyStore, Path trustStore) {
        Config c = ConfigFactory.parseFile(Path.of("..", "conf", "tls.conf").toFile()).resolveWith(
                ConfigFactory.parseMap(Map.of("TROUPE_TLS_KEY_STORE", keyStore.toString(), "TROUPE_TLS_TRUST_STORE",
                        trustStore.toString(), "TROUPE_TLS_PASSWORD", PASSWORD)));
        return c;
    }

    private static CompletableFuture<Void> up(ActorSystem<?> system) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> f.complete(null));
        return f;
    }

    private static ActorSystem<Void> joining(String name, Config tls, ActorSystem<?> seed) {
        Config c = ConfigFactory.empty()
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
                .withValue("pekko.loglevel", ConfigValueFactory.fromAnyRef("WARNING"))
                .withValue("pekko.cluster.jmx.multi-mbeans-in-same-jvm", ConfigValueFactory.fromAnyRef(true))
                .withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", ConfigValueFactory.fromAnyRef(false))
                .withFallback(tls).withFallback(ConfigFactory.load()).resolve();
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), name, c);
        Cluster.get(s).manager().tell(Join.create(Cluster.get(seed).selfMember().address()));
        return s;
    }

    @Test
    void onlyNodesWithACertificateOfTheClustersCaJoin() throws Exception {
        certificates(dir.resolve("cluster"), "node");
        certificates(dir.resolve("other-ca"), "rogue");
        Config trusted = tls(dir.resolve("cluster/node.p12"), dir.resolve("cluster/truststore.p12"));
        // the rogue trusts the cluster's CA, but its own certificate comes from another CA
        Config rogueTls = tls(dir.resolve("other-ca/rogue.p12"), dir.resolve("cluster/truststore.p12"));
        LoopbackCluster cluster = LoopbackCluster.start("tls", List.of(List.of("replay"), List.of("agent")), trusted);
        List<ActorSystem<Void>> joiners = new ArrayList<>();
        try {
            joiners.add(joining("tls", rogueTls, cluster.node(0)));
            joiners.add(joining("tls", trusted, cluster.node(0)));
            onlyTheTrustedNodeJoins(cluster, joiners.get(0), joiners.get(1));
        } finally {
            // all four stop together, as a job's nodes do: once, with the first two kept up, the late node's
            // termination outlasted its coordinated shutdown by more than 90 s (Artery in Pekko 1.7 waits for its
            // streams to complete without a deadline; apache/pekko#3247, bounded in 2.0 by #3317)
            joiners.forEach(ActorSystem::terminate);
            cluster.close();
            for (ActorSystem<Void> node : joiners) {
                awaitTerminated(node);
            }
        }
    }

    private static void onlyTheTrustedNodeJoins(LoopbackCluster cluster, ActorSystem<Void> rogue,
                                                ActorSystem<Void> late) throws Exception {
        up(late).get(60, TimeUnit.SECONDS); // a trusted node joins over TLS
        // the rogue tried from the same moment; give it well over a seed-retry round (5 s) more
        assertThrows(TimeoutException.class, () -> up(rogue).get(12, TimeUnit.SECONDS),
                "a node with another CA's certificate must not become Up");
        for (Member m : Cluster.get(cluster.node(0)).state().getMembers()) {
            assertFalse(m.address().equals(Cluster.get(rogue).selfMember().address()),
                    "the rogue is not a member: " + Cluster.get(cluster.node(0)).state().getMembers());
        }
        int members = 0;
        for (Member ignored : Cluster.get(cluster.node(0)).state().getMembers()) {
            members++;
        }
        assertEquals(3, members, "the two first nodes and the trusted late one");
    }

    /**
     * Waits for {@code system} to terminate; a node that never does fails the test with its threads' stacks and its
     * actor tree, so that the cause can be read from the report.
     */
    private static void awaitTerminated(ActorSystem<?> system) throws Exception {
        try {
            // a node that never got in still runs its coordinated shutdown's cluster phases to their timeouts (10 s
            // each): allow for them on a busy machine
            system.getWhenTerminated().toCompletableFuture().get(90, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            StringBuilder threads = new StringBuilder();
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                if (thread.getName().startsWith(system.name() + "-")) { // the other nodes have terminated
                    threads.append('"').append(thread.getName()).append("\" ").append(thread.getState()).append('\n');
                    for (StackTraceElement frame : stack) {
                        threads.append("    at ").append(frame).append('\n');
                    }
                }
            });
            throw new AssertionError("node " + system.address() + " did not terminate within 90 s; threads:\n"
                    + threads + "actors:\n" + ((ExtendedActorSystem) Adapter.toClassic(system)).printTree(), e);
        }
    }
}
