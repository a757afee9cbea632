package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.cluster.cli.TroupeCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-threaded reference PPO (the oracle for the distributed path) solves CartPole-v1: a 100-episode mean return
 * of at least 475, through the real command line with the default job config in {@code mode = reference}. Takes about
 * 15-30 s here.
 */
class ReferencePpoTest {
    @TempDir
    Path runs;

    @Test
    void defaultJobSolvesCartPole() throws Exception {
        Path conf = Path.of("..", "conf", "cartpole.conf");
        int code = TroupeCli.commandLine().execute("train", "--config", conf.toString(), "--run-dir", runs.toString(),
                "troupe.train.mode=reference", "troupe.train.report-interval=5s");
        assertEquals(0, code);
        Path dir;
        try (Stream<Path> s = Files.list(runs)) {
            dir = s.findFirst().orElseThrow();
        }
        String summary = Files.readString(dir.resolve("summary.json"));
        assertTrue(summary.contains("\"solved\": true"), summary);
        double mean = Double.parseDouble(summary.replaceAll("(?s).*\"mean_return_100\": ([0-9.]+).*", "$1"));
        assertTrue(mean >= 475, "mean return " + mean);
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertTrue(metrics.get(metrics.size() - 1).contains("\"losses/approx_kl\""), metrics.get(metrics.size() - 1));
        assertTrue(Files.exists(dir.resolve("checkpoints/latest/weights.trpw")), "checkpoint written");
        assertTrue(Files.exists(dir.resolve("checkpoints/latest/optimizer.bin")));

        // ./troupe eval runs the greedy policy of the checkpoint
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(0, TroupeCli.commandLine().execute("eval", "--checkpoint", dir.toString(), "--episodes", "20"));
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        double greedy = Double.parseDouble(printed.replaceAll("(?s).*mean return ([0-9.]+).*", "$1"));
        assertTrue(greedy >= 400, "greedy return " + greedy + " in: " + printed);
    }
}
