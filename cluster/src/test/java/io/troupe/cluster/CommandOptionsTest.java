package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.node.NodeLifecycle;
import io.troupe.cluster.node.NodeSettings;
import io.troupe.cluster.run.RunMode;
import io.troupe.cluster.run.TrainSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The options of {@code train} and {@code node} reach the config as values (a directory whose name holds a quote and a
 * backslash works), secrets never reach a run's {@code config.conf}, and a node refuses a non-loopback address
 * without TLS unless told {@code --insecure}. Through the real command line, in process, with real files.
 */
class CommandOptionsTest {
    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static Path onlyRun(Path runsDir) throws Exception {
        try (Stream<Path> s = Files.list(runsDir)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    @Test
    void aRunDirWithAQuoteAndABackslashWorks() throws Exception {
        Path runs = tmp.resolve("it's \"quoted\" \\ back");
        CliRun r = run("train", "--run-dir", runs.toString(), "troupe.train.algorithm=random",
                "troupe.train.max-env-steps=500");
        assertEquals(0, r.code(), r.err());
        Path dir = onlyRun(runs);
        assertTrue(Files.isRegularFile(dir.resolve("summary.json")), dir.toString());
        assertTrue(Files.readString(dir.resolve("config.conf")).contains("back"), "the directory is in config.conf");
    }

    /** The uniform-random baseline has no learner: a node refuses it naming the key, instead of running PPO. */
    @Test
    void aRandomPolicyJobIsRefusedOnClusterNodes() {
        Config job = JobConfig.load(null, List.of("troupe.train.algorithm=random"), NodeLifecycle.options(tmp, null),
                ConfigFactory.empty());
        TrainSettings settings = TrainSettings.fromConfig(job);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterJob.nodeConfig(settings));
        assertTrue(e.getMessage().startsWith("troupe.train.algorithm = random"), e.getMessage());
    }

    @Test
    void aNodesRunDirIsAValueToo() {
        Path runs = tmp.resolve("a\"b\\c");
        Config job = JobConfig.load(null, List.of(), NodeLifecycle.options(runs, 0), ConfigFactory.empty());
        TrainSettings settings = TrainSettings.fromConfig(job);
        assertEquals(runs, settings.runsDir());
        assertEquals(RunMode.CLUSTER, settings.mode());
        assertEquals(0, job.getInt("troupe.admin.port"));
    }

    @Test
    void theAdminTokenAndPasswordsAreRedactedFromConfigConf() throws Exception {
        String token = "s3cret-token-0123456789";
        CliRun r = run("train", "--run-dir", tmp.toString(), "troupe.train.algorithm=random",
                "troupe.train.max-env-steps=500", "troupe.admin.token=" + token,
                "troupe.admin.tls.key-store-password=hunter2-hunter2");
        assertEquals(0, r.code(), r.err());
        String config = Files.readString(onlyRun(tmp).resolve("config.conf"));
        assertFalse(config.contains(token), config);
        assertFalse(config.contains("hunter2"), config);
        assertTrue(config.contains(JobConfig.REDACTED), config);
        assertTrue(config.matches("(?s).*state-tokens\\s*=\\s*\\d+.*"), "a number named like a token stays: "
                + config);
        assertFalse((r.out() + r.err()).contains(token), "nor in the output");
    }

    @Test
    void aNodeOnANonLoopbackAddressWithoutTlsIsRefusedAndSaysWhy() {
        CliRun r = run("node", "--host", "0.0.0.0", "--port", "0");
        assertEquals(TroupeCli.USER_ERROR, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--host 0.0.0.0 is not a loopback address and --tls is not given")
                && r.err().contains("cluster membership is the trust boundary") && r.err().contains("--insecure"),
                r.err());
        assertFalse(r.out().contains("troupe node: roles"), "no node was started: " + r.out());
    }

    @Test
    void tlsOrInsecureLetANodeBindANonLoopbackAddress() {
        NodeSettings node = NodeSettings.parse("agent", "0.0.0.0", 0, null);
        assertDoesNotThrow(() -> node.requireTrustedTransport(true, false));
        assertDoesNotThrow(() -> node.requireTrustedTransport(false, true));
        assertDoesNotThrow(() -> NodeSettings.parse("agent", "127.0.0.1", 0, null).requireTrustedTransport(false,
                false));
        assertDoesNotThrow(() -> NodeSettings.parse("agent", "localhost", 0, null).requireTrustedTransport(false,
                false));
    }
}
