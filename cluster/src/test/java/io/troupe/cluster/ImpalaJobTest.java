package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./troupe train --config conf/cartpole-impala.conf}, in process: IMPALA (V-trace) solves CartPole-v1 through
 * agents that act ahead of the learner (policy lag above 0, which PPO's jobs never have) but no further than the
 * replay queue lets them, and its checkpoint's greedy policy balances the pole. A few seconds of training here (seeds
 * 1-32 solved, a median of 193k env steps).
 */
class ImpalaJobTest {
    private static final Pattern LAG = Pattern.compile("\"policy_lag_max\":(\\d+)");

    @TempDir
    Path runs;

    @Test
    void theImpalaJobSolvesCartPoleWithAgentsActingAheadOfTheLearner() throws Exception {
        Path dir = TrainingFixtures.train(runs, "cartpole-impala.conf");
        String summary = Files.readString(dir.resolve("summary.json"));
        assertTrue(summary.contains("\"solved\": true") && summary.contains("\"algorithm\": \"impala\""), summary);
        double mean = TrainingFixtures.meanReturn(summary);
        assertTrue(mean >= 475, "mean return " + mean);

        List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
        int maxLag = 0;
        for (String line : metrics) {
            Matcher m = LAG.matcher(line);
            if (m.find()) {
                int lag = Integer.parseInt(m.group(1));
                // 32 unrolls queued (2 updates of 16) and one unconfirmed batch of 8 per agent: a handful of versions
                assertTrue(lag <= 12, "the queue bounds the lag: " + line);
                maxLag = Math.max(maxLag, lag);
            }
        }
        assertTrue(maxLag >= 1, "agents act freely, ahead of the learner: policy lag " + maxLag);

        double greedy = TrainingFixtures.greedyReturn(dir, 20);
        assertTrue(greedy >= 400, "greedy return " + greedy + " (500.0 on each of seeds 1-16)");
    }
}
