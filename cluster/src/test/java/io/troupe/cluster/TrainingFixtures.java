package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.cli.TroupeCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** What the training tests share: a one-node cluster with every role, and the greedy evaluation of a run. */
final class TrainingFixtures {
    private TrainingFixtures() {
    }

    /**
     * A test kit on a one-node cluster (every role, a free loopback port) with two replay shards of small queue
     * tables, joined to itself; {@code hocon} goes on top.
     */
    static ActorTestKit oneNodeCluster(String name, String hocon) {
        Config config = ConfigFactory.parseString(hocon).withFallback(ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                # any free port, bound by Artery itself (the node joins its own address, read back once started)
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.roles = ["replay", "learner", "agent"]
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.loglevel = WARNING
                troupe.replay { shards = 2, table { max-size = 8, max-times-sampled = 1, sampler = fifo,
                                                    rate-limiter.kind = queue }, sample-timeout = 2s }
                """)).withFallback(ConfigFactory.load()).resolve();
        ActorTestKit kit = ActorTestKit.create(name, config);
        Cluster c = Cluster.get(kit.system());
        c.manager().tell(Join.create(c.selfMember().address()));
        return kit;
    }

    /**
     * {@code ./troupe train --config conf/CONF --run-dir runs}, in process: asserts it exits with 0 and returns the
     * run's directory (the only one under {@code runs}).
     */
    static Path train(Path runs, String conf) throws IOException {
        Path file = Path.of("..", "conf", conf);
        assertEquals(0, TroupeCli.commandLine().execute("train", "--config", file.toString(), "--run-dir",
                runs.toString()));
        try (Stream<Path> s = Files.list(runs)) {
            return s.findFirst().orElseThrow();
        }
    }

    /** A summary.json's 100-episode mean return. */
    static double meanReturn(String summary) {
        return Double.parseDouble(summary.replaceAll("(?s).*\"mean_return_100\": ([0-9.]+).*", "$1"));
    }

    /** The greedy policy's mean return over {@code episodes} from {@code ./troupe eval --checkpoint runDir}. */
    static double greedyReturn(Path runDir, int episodes) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(0, TroupeCli.commandLine().execute("eval", "--checkpoint", runDir.toString(), "--episodes",
                    String.valueOf(episodes)));
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        String greedy = printed.lines().filter(l -> l.contains(" greedy policy of ")).findFirst()
                .orElseThrow(() -> new AssertionError("no greedy line in: " + printed));
        return Double.parseDouble(greedy.replaceAll(".*mean return ([0-9.]+).*", "$1"));
    }
}
