package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.EvaluationSettings;
import io.troupe.cluster.run.LearnerReport;
import io.troupe.cluster.run.ProgressLine;
import io.troupe.cluster.run.RunDirectory;
import io.troupe.cluster.run.RunFacts;
import io.troupe.cluster.run.RunMode;
import io.troupe.cluster.run.RunReporter;
import io.troupe.cluster.run.RunSummary;
import io.troupe.cluster.run.StopReason;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reports a user reads keep their names: a metrics.jsonl line, summary.json (its layout too) and the admin status
 * snapshot, written from the typed records through a real run directory; the map-based calls still in use write the
 * same.
 */
class RunReportsTest {
    @TempDir
    Path tmp;

    private static TrainSettings settings(Path runs) {
        return new TrainSettings("CartPole-v1", ConfigFactory.empty(), Algorithm.PPO, RunMode.CLUSTER, 7, 2, 4, 100_000,
                Duration.ofMinutes(5), OptionalDouble.empty(), OptionalDouble.empty(), Duration.ofMillis(50), runs, "");
    }

    private static List<String> keys(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void metricsLineSummaryAndStatusKeepTheirNames() throws Exception {
        EnvSpec spec = EnvRegistry.defaults().spec("CartPole-v1");
        TrainSettings settings = settings(tmp);
        ByteArrayOutputStream progressText = new ByteArrayOutputStream();
        try (RunDirectory run = RunDirectory.create(tmp, "CartPole-v1", Algorithm.PPO, 7, LocalDateTime.now())) {
            RunReporter reporter = new RunReporter(settings, run, new ProgressLine(new PrintStream(progressText, true,
                    StandardCharsets.UTF_8), false), spec);
            JsonNode first = JsonCodec.tree(reporter.latest());
            assertEquals("ppo", first.get("algorithm").asText());
            assertEquals("cluster", first.get("mode").asText());
            assertEquals(0, first.get("env_steps").asLong());
            for (int i = 0; i < 100; i++) {
                reporter.episode(500, false, i < 50 ? 0 : 1, 250);
            }
            assertTrue(reporter.solved(50_000));
            Map<String, Number> figures = new LinkedHashMap<>();
            figures.put("losses/policy_loss", Double.NaN);
            figures.put("agents/aborted_episodes", 3L);
            reporter.maybeReport(50_000, new LearnerReport(12, 11, "ppo", 1, 4, figures), true);

            List<String> lines = Files.readAllLines(run.path().resolve("metrics.jsonl"));
            assertEquals(1, lines.size());
            JsonNode line = JsonCodec.readTree(lines.get(0), "the metrics line");
            assertEquals(List.of("wall_s", "env_steps", "episodes", "mean_return_100", "steps_per_s",
                    "learner_updates", "policy_version", "policy_lag_p50", "policy_lag_max", "reward_version",
                    "returns_by_reward_version", "reward_fallbacks", "losses/policy_loss", "agents/aborted_episodes"),
                    keys(line), lines.get(0));
            assertTrue(lines.get(0).contains("\"policy_lag_max\":4,") && lines.get(0).contains(
                    "\"losses/policy_loss\":null"), lines.get(0));
            assertEquals(List.of("0", "1"), keys(line.get("returns_by_reward_version")));
            assertEquals(List.of("episodes", "mean_return", "mean_reward_return"),
                    keys(line.get("returns_by_reward_version").get("1")));
            assertTrue(progressText.toString(StandardCharsets.UTF_8).contains("CartPole-v1 ppo | steps 50,000"),
                    progressText.toString(StandardCharsets.UTF_8));

            JsonNode status = JsonCodec.tree(reporter.latest());
            assertEquals(run.runId(), status.get("run_id").asText());
            assertEquals(50_000, status.get("env_steps").asLong());
            assertEquals(3, status.get("agents/aborted_episodes").asLong());

            RunSummary summary = reporter.finish(StopReason.TARGET_REACHED, 50_000,
                    RunFacts.cluster(RunMode.CLUSTER, 2, 4).withLearner(12, 11L, "mlp(64, 64)", null, "cpu()"));
            assertTrue(summary.solved());
            String text = Files.readString(run.path().resolve("summary.json"));
            assertTrue(text.startsWith("{\n  \"run_id\": \"" + run.runId() + "\",\n"), text);
            for (String fragment : List.of("\"solved\": true", "\"stop_reason\": \"target reached\"",
                    "\"algorithm\": \"ppo\"", "\"target_success_rate\": null", "\"env_steps_to_solve\": 50000",
                    "\"mode\": \"cluster\"", "\"agents\": 2", "\"envs_per_agent\": 4", "\"learner_updates\": 12",
                    "\"device\": \"cpu()\"", "\"wall_s_to_solve_since_jvm_start\": ")) {
                assertTrue(text.contains(fragment), fragment + " in " + text);
            }
            assertFalse(text.contains("\"parameters\"") || text.contains("success_rate_100"), "absent facts and "
                    + "figures are left out: " + text);
        }
    }

    /**
     * With a curriculum only the episodes played at the level itself (the last stage) count toward the window and the
     * target; every episode counts in the line's {@code curriculum/*} figures, which start afresh each line.
     */
    @Test
    void curriculumEpisodesBeforeTheLevelDoNotCountTowardTheTarget() throws Exception {
        EnvSpec spec = EnvRegistry.defaults().spec("GoToObject-Hard-v0");
        TrainSettings settings = new TrainSettings("GoToObject-Hard-v0", ConfigFactory.empty(), Algorithm.PPO,
                RunMode.CLUSTER, 7, 2, 4, 100_000, Duration.ofMinutes(5), OptionalDouble.empty(),
                OptionalDouble.of(0.9),
                Duration.ofMillis(50), tmp, "");
        ByteArrayOutputStream progressText = new ByteArrayOutputStream();
        try (RunDirectory run = RunDirectory.create(tmp, "GoToObject-Hard-v0", Algorithm.PPO, 7, LocalDateTime.now())) {
            RunReporter reporter = new RunReporter(settings, run, new ProgressLine(new PrintStream(progressText, true,
                    StandardCharsets.UTF_8), false), spec);
            for (int i = 0; i < 300; i++) {
                reporter.episode(0.9, true, 2, 0.9, i % 2, 3); // successes at stages 1 and 2 of 3, reward v2
            }
            assertFalse(reporter.solved(10_000), "no episode at the level yet");
            reporter.maybeReport(10_000, new LearnerReport(1, 1, "ppo", 0, 0, Map.of()), true);
            for (int i = 0; i < 100; i++) {
                reporter.episode(i < 80 ? 0.9 : 0, i < 80, 0, 0.9, 2, 3);
            }
            reporter.episode(0.9, true, 0, 0.9, 1, 3);
            reporter.episode(0, false, 0, 0, 1, 3);
            assertFalse(reporter.solved(20_000), "0.8 at the level, whatever the earlier stages' successes");
            reporter.maybeReport(20_000, new LearnerReport(2, 2, "ppo", 0, 0, Map.of()), true);
            for (int i = 0; i < 100; i++) {
                reporter.episode(0.9, true, 0, 0.9, 2, 3);
            }
            assertTrue(reporter.solved(30_000));

            List<String> lines = Files.readAllLines(run.path().resolve("metrics.jsonl"));
            JsonNode first = JsonCodec.readTree(lines.get(0), "the first line");
            assertEquals(0, first.get("episodes").asLong());
            assertEquals(3, first.get("curriculum/stages").asInt());
            assertEquals(300, first.get("curriculum/episodes").asLong());
            assertEquals(1.5, first.get("curriculum/mean_stage").asDouble(), 1e-9);
            assertEquals(0.0, first.get("curriculum/at_level").asDouble(), 1e-9);
            assertEquals(1.0, first.get("curriculum/stage_success").asDouble(), 1e-9);
            assertEquals(List.of(), keys(first.get("returns_by_reward_version")));
            assertEquals(2, first.get("reward_version").asLong(), "the agents' reward version, whatever the stage");
            JsonNode second = JsonCodec.readTree(lines.get(1), "the second line");
            assertEquals(100, second.get("episodes").asLong());
            assertEquals(0.8, second.get("success_rate_100").asDouble(), 1e-9);
            assertEquals(102, second.get("curriculum/episodes").asLong());
            assertEquals(1 + (100 * 2 + 2) / 102.0, second.get("curriculum/mean_stage").asDouble(), 1e-9);
            assertEquals(100 / 102.0, second.get("curriculum/at_level").asDouble(), 1e-9);
            assertEquals(0.5, second.get("curriculum/stage_success").asDouble(), 1e-9, "1 of the 2 at stage 2");
            assertEquals(100, second.get("returns_by_reward_version").get("0").get("episodes").asLong());
            String progress = progressText.toString(StandardCharsets.UTF_8);
            assertTrue(progress.contains("| stage 1.50/3") && progress.contains("| stage 2.98/3"), progress);
        }
    }

    /**
     * Evaluations keep the best one's weights in checkpoints/best; when they cannot be written (here checkpoints/ is
     * a file), that is printed and the run goes on, and the summary's best evaluation stays the last one kept.
     */
    @Test
    void aBestPolicyThatCannotBeWrittenIsSaidAndTheRunGoesOn() throws Exception {
        EnvSpec spec = EnvRegistry.defaults().spec("CartPole-v1");
        ByteArrayOutputStream progressText = new ByteArrayOutputStream();
        try (RunDirectory run = RunDirectory.create(tmp, "CartPole-v1", Algorithm.PPO, 7, LocalDateTime.now())) {
            RunReporter reporter = new RunReporter(settings(tmp), run, new ProgressLine(new PrintStream(progressText,
                    true, StandardCharsets.UTF_8), false), spec, EvaluationSettings.fromConfig(JobConfig.load(null,
                    List.of("troupe.train.evaluation.every-env-steps=1000"))));
            RunReporter.EvaluationVerdict first = reporter.evaluated(new PolicyWeights("m", 3, new byte[] {3}), 4242,
                    new Evaluation.Result(200, 100, 0, 100), 1_000);
            assertEquals(run.path().resolve("checkpoints/best"), first.best());
            RunReporter.EvaluationVerdict lower = reporter.evaluated(new PolicyWeights("m", 4, new byte[] {4}), 4258,
                    new Evaluation.Result(200, 90, 0, 90), 2_000);
            assertEquals(null, lower.best(), "a lower evaluation is not kept");

            Path checkpoints = run.path().resolve("checkpoints");
            try (var files = Files.walk(checkpoints)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
            Files.writeString(checkpoints, "not a folder");
            RunReporter.EvaluationVerdict unwritable = reporter.evaluated(new PolicyWeights("m", 5, new byte[] {5}),
                    4274, new Evaluation.Result(200, 300, 0, 300), 3_000);
            assertEquals(null, unwritable.best());
            String printed = progressText.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains("could not keep policy v5 as the best evaluated: cannot write checkpoint "
                    + checkpoints.resolve("best")), printed);
            assertTrue(printed.contains("; the run goes on"), printed);
            RunSummary summary = reporter.finish(StopReason.STEP_BUDGET_SPENT, 3_000, RunFacts.NONE);
            assertEquals(3, summary.bestEvaluation().policyVersion(), "the best kept on disk: " + summary);
            assertEquals(5, summary.lastEvaluation().policyVersion());
        }
    }
}
