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
        double greedy = TrainingFixtures.greedyReturn(dir, 20);
        assertTrue(greedy >= 400, "greedy return " + greedy);
    }
}
