package io.troupe.transport.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Configs of real cluster nodes on loopback, for tests in this JVM and in child JVMs. Every node binds port 0 (Artery
 * takes a free port itself) and the port is read back from the started system ({@link #port}): no port is picked
 * by closing a socket and binding it again, which another process can take in between.
 */
public final class TestNodes {
    private TestNodes() {
    }

    /**
     * A cluster node on 127.0.0.1 at a free port with {@code roles} and no seed nodes: join it with
     * {@code Cluster.get(system).manager().tell(Join.create(address))}, to itself for the first node.
     */
    public static Config node(List<String> roles, String extra) {
        return base(roles, extra).withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of()));
    }

    /** A node as {@link #node(List, String)} that joins the seed at {@code 127.0.0.1:seedPort} by itself. */
    public static Config node(String systemName, int seedPort, List<String> roles, String extra) {
        return base(roles, extra).withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of(
                "pekko://" + systemName + "@127.0.0.1:" + seedPort)));
    }

    /** Joins every node to the first one's address (the first to itself) and waits until all are Up (30 s at most). */
    public static void formCluster(ActorTestKit first, ActorTestKit... others) {
        Cluster seed = Cluster.get(first.system());
        Address address = seed.selfMember().address();
        seed.manager().tell(Join.create(address));
        for (ActorTestKit other : others) {
            Cluster.get(other.system()).manager().tell(Join.create(address));
        }
        int expected = others.length + 1;
        first.createTestProbe().awaitAssert(Duration.ofSeconds(30), () -> {
            int up = 0;
            for (Member m : seed.state().getMembers()) {
                up += m.status() == MemberStatus.up() ? 1 : 0;
            }
            if (up != expected) {
                throw new AssertionError(up + " of " + expected + " nodes are Up");
            }
            return null;
        });
    }

    /** The port a started node bound. */
    public static int port(ActorSystem<?> system) {
        return Cluster.get(system).selfMember().address().getPort().orElseThrow(() -> new IllegalStateException(
                system.name() + " has no remote port: is pekko.actor.provider = cluster?"));
    }

    private static Config base(List<String> roles, String extra) {
        return ConfigFactory.parseString(extra).withFallback(ConfigFactory.empty()
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
                .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles))
                .withValue("pekko.cluster.jmx.multi-mbeans-in-same-jvm", ConfigValueFactory.fromAnyRef("on"))
                .withValue("pekko.loglevel", ConfigValueFactory.fromAnyRef("WARNING"))
                .withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", ConfigValueFactory.fromAnyRef("off"))
                .withValue("pekko.cluster.downing-provider-class", ConfigValueFactory.fromAnyRef("")))
                .withFallback(ConfigFactory.load());
    }
}
