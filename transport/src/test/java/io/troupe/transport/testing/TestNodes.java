package io.troupe.transport.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.List;

/** Configs of real cluster nodes on loopback ports, for tests in this JVM and in child JVMs. */
public final class TestNodes {
    private TestNodes() {
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A cluster node on 127.0.0.1:{@code port} with {@code roles}, joining the seed at {@code seedPort}. */
    public static Config node(String systemName, int port, int seedPort, List<String> roles, String extra) {
        String r = String.join("\", \"", roles);
        return ConfigFactory.parseString(extra + "\n"
                + "pekko.actor.provider = cluster\n"
                + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
                + "pekko.remote.artery.canonical.port = " + port + "\n"
                + "pekko.cluster.seed-nodes = [\"pekko://" + systemName + "@127.0.0.1:" + seedPort + "\"]\n"
                + "pekko.cluster.roles = [\"" + r + "\"]\n"
                + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
                + "pekko.loglevel = WARNING\n"
                + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n"
                + "pekko.cluster.downing-provider-class = \"\"\n")
                .withFallback(ConfigFactory.load());
    }
}
