package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.export.RunCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./troupe train} through the distributed path (troupe.train.mode = cluster: sharded agents, replay shards,
 * the learner singleton on an embedded one-node cluster) reaches a modest CartPole target quickly and reports the
 * learner's versions and the policy lag.
 */
class EmbeddedClusterTrainTest {
    @TempDir
    Path runs;

    @Test
    void embeddedClusterTrainsCartPoleToAModestTarget() throws Exception {
        int code = TroupeCli.commandLine().execute("train", "--run-dir", runs.toString(), "--target", "100",
                "troupe.train.algorithm=ppo", "troupe.train.mode=cluster", "troupe.train.num-agents=2",
                "troupe.train.envs-per-agent=4", "troupe.model.kind=mlp", "troupe.ppo.learning-rate=1e-3",
                "troupe.ppo.anneal-lr=false", "troupe.train.max-wall-time=120s", "troupe.train.report-interval=500ms");
        assertEquals(0, code);
        Path dir;
        try (Stream<Path> s = Files.list(runs)) {
            dir = s.findFirst().orElseThrow();
        }
        String summary = Files.readString(dir.resolve("summary.json"));
        assertTrue(summary.contains("\"solved\": true") && summary.contains("\"mode\": \"cluster\""), summary);
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
        String last = metrics.get(metrics.size() - 1);
        assertTrue(last.contains("\"policy_lag_p50\"") && last.contains("\"learner_updates\""), last);
        long version = Long.parseLong(last.replaceAll(".*\"policy_version\":(\\d+).*", "$1"));
        assertTrue(version >= 3, "the learner published versions: " + last);
        assertTrue(Files.exists(dir.resolve("checkpoints/latest/weights.trpw")), "the learner checkpointed on stop");
    }

    @Test
    void greedyEvaluationsOfThePublishedPolicyDecideWhenTheRunIsSolved() throws Exception {
        int code = TroupeCli.commandLine().execute("train", "--run-dir", runs.toString(), "--target", "100",
                "troupe.train.algorithm=ppo", "troupe.train.mode=cluster", "troupe.train.num-agents=2",
                "troupe.train.envs-per-agent=4", "troupe.model.kind=mlp", "troupe.ppo.learning-rate=1e-3",
                "troupe.ppo.anneal-lr=false", "troupe.train.max-wall-time=120s", "troupe.train.report-interval=500ms",
                "troupe.train.evaluation.every-env-steps=4000", "troupe.train.evaluation.episodes=8",
                "troupe.train.evaluation.envs=8", "troupe.train.evaluation.solved-by=evaluation");
        assertEquals(0, code);
        Path dir;
        try (Stream<Path> s = Files.list(runs)) {
            dir = s.findFirst().orElseThrow();
        }
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertTrue(summary.get("solved").asBoolean(), summary.toString());
        JsonNode last = summary.get("last_evaluation");
        // the greedy policy, not the sampled window, reached the target, at the steps its evaluation was asked for
        assertTrue(last.get("mean_return").asDouble() >= 100, summary.toString());
        assertEquals(last.get("env_steps").asLong(), summary.get("env_steps_to_solve").asLong(), summary.toString());
        assertEquals(8, last.get("episodes").asInt(), summary.toString());
        // CartPole pays 1 a step: played episodes have a return equal to their length
        assertEquals(last.get("mean_return").asDouble(), last.get("mean_length").asDouble(), 1e-9, summary.toString());
        List<JsonNode> evaluated = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonNode m = new ObjectMapper().readTree(line);
            if (m.has("eval/greedy_mean_return")) {
                evaluated.add(m);
                assertTrue(m.get("eval/policy_version").asLong() <= m.get("policy_version").asLong(), line);
                assertTrue(m.get("eval/env_steps").asLong() <= m.get("env_steps").asLong(), line);
            }
        }
        assertTrue(!evaluated.isEmpty(), "metrics.jsonl carries the evaluations");
        JsonNode lastLine = evaluated.get(evaluated.size() - 1);
        assertEquals(last.get("policy_version").asLong(), lastLine.get("eval/policy_version").asLong(),
                lastLine.toString());
        assertTrue(lastLine.get("eval/env_steps").asLong() >= 4000, lastLine.toString());
        // evaluation k played from 4242 + 8k: new layouts each time
        for (JsonNode m : evaluated) {
            assertEquals(0, (m.get("eval/seed").asLong() - 4242) % 8, m.toString());
        }
        // the evaluation that ended the run is the best one (none before it reached the target), and its weights
        // are checkpoints/best: ./troupe eval on them with its seed plays the same 8 episodes to the same return
        JsonNode best = summary.get("best_evaluation");
        assertEquals(last, best, summary.toString());
        Path kept = dir.resolve("checkpoints/best");
        assertEquals(best.get("policy_version").asLong(), RunCheckpoint.open(kept).policyVersion());
        CliRun eval = CliRun.of("eval", "--checkpoint", kept.toString(), "--episodes", "8", "--seed",
                best.get("seed").asText());
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains(String.format(Locale.ROOT, "greedy policy of %s, 8 episodes: mean return %.2f,",
                kept, best.get("mean_return").asDouble())), eval.out() + "\n" + summary);
    }
}
