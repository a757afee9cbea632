package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A finished {@code ./troupe train} prints its result at once and exits promptly, with no warning: the node stops in
 * order (agents, replay, the learner, the node) instead of shutting every sharding region down at once while agents
 * and keep-alives still write to them, which held the terminal for 10 s ("Graceful shutdown of shard region timed
 * out"). The keep-alives ping every 50 ms here, so a region shut down while they run would be hit every time.
 */
class CleanStopTest {
    /** The issue asks for an exit within 2 s of the result; this bound leaves room for a loaded 2-core machine. */
    private static final double EXIT_BOUND_S = 5;

    @TempDir
    Path dir;

    @Test
    void aFinishedRunExitsPromptlyWithoutWarnings() throws Exception {
        List<String> args = List.of("train", "--run-dir", dir.resolve("runs").toString(),
                "troupe.train.max-env-steps=2000", "troupe.replay.keep-alive-interval=50ms",
                "pekko.cluster.sharded-daemon-process.keep-alive-interval=50ms");
        Path stderr = dir.resolve("stderr.log");
        try (NodeProcesses processes = new NodeProcesses(dir)) {
            // the launcher's logging (warnings and errors to stderr), not the test classpath's
            List<String> command = new ArrayList<>(NodeProcesses.command(args));
            command.add(1, "-Dlogback.configurationFile="
                    + NodeProcesses.HOME.resolve("cluster/src/main/resources/logback.xml"));
            Process p = processes.start(new ProcessBuilder(command).redirectError(stderr.toFile()));
            List<String> out = new ArrayList<>();
            Long resultAt = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    out.add(line);
                    if (resultAt == null && line.matches("(target reached|step budget spent) after .*")) {
                        resultAt = System.nanoTime();
                    }
                }
            }
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the run ended:\n" + String.join("\n", out));
            long exitedAt = System.nanoTime();
            String log = String.join("\n", out) + "\n" + Files.readString(stderr);
            assertEquals(0, p.exitValue(), log);
            assertNotNull(resultAt, "the result line was printed:\n" + log);
            double delay = (exitedAt - resultAt) / 1e9;
            System.out.printf("CleanStopTest: exited %.2f s after printing its result%n", delay);
            assertTrue(log.lines().noneMatch(l -> l.contains("buffered messages")
                    || l.contains("Graceful shutdown of shard region timed out")), "no region waited:\n" + log);
            assertTrue(log.lines().noneMatch(l -> l.contains(" WARN ")), "no warning on a normal stop:\n" + log);
            assertTrue(delay < EXIT_BOUND_S, "exited " + delay + " s after printing its result (the stop waited for "
                    + "something):\n" + log);
            assertTrue(out.get(out.size() - 1).matches("step budget spent after .*"), "the result is the last line: "
                    + out);
        }
    }
}
