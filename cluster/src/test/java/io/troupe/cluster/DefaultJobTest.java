package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, in process: {@code ./troupe train} with the default job (conf/cartpole.conf) trains
 * CartPole-v1 to Gymnasium's threshold (a 100-episode mean return of 475) through agents, replay and the learner on
 * the embedded node, synchronously (policy lag 0), and its checkpoint's greedy policy balances the pole. About 15 s
 * of training here.
 */
class DefaultJobTest {
    @TempDir
    Path runs;

    @Test
    void theDefaultJobSolvesCartPoleThroughAgents() throws Exception {
        Path dir = TrainingFixtures.train(runs, "cartpole.conf");
        String summary = Files.readString(dir.resolve("summary.json"));
        assertTrue(summary.contains("\"solved\": true") && summary.contains("\"mode\": \"cluster\""), summary);
        double mean = TrainingFixtures.meanReturn(summary);
        assertTrue(mean >= 475, "mean return " + mean);
        long steps = Long.parseLong(summary.replaceAll("(?s).*\"env_steps_to_solve\": (\\d+).*", "$1"));
        assertTrue(steps <= 300_000, "env steps to solve: " + steps + " (about 100k-150k with this job)");
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
        for (String line : metrics.subList(1, metrics.size())) { // synchronous PPO: every batch from its own version
            assertTrue(line.contains("\"policy_lag_max\":0"), line);
        }
        assertTrue(Files.exists(dir.resolve("checkpoints/latest/weights.trpw")), "checkpoint written");

        double greedy = TrainingFixtures.greedyReturn(dir, 20);
        assertTrue(greedy >= 400, "greedy return " + greedy);
    }
}
