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

    /**
     * A level with a curriculum ({@code GoToObject-Hard-v0}'s {@code curriculum} parameters, made small): the agents'
     * copies play the stages and move on (here after every two episodes), every line reports the mean stage, only
     * episodes at the level count in the window, and the greedy evaluations play the level itself.
     */
    @Test
    void aCurriculumJobsAgentsPlayTheStagesAndOnlyTheLevelCounts() throws Exception {
        String level = "troupe.environments.GoToObject-Hard-v0.params.";
        int code = TroupeCli.commandLine().execute("train", "--run-dir", runs.toString(),
                "troupe.train.env=GoToObject-Hard-v0", "troupe.train.algorithm=ppo", "troupe.train.num-agents=1",
                "troupe.train.envs-per-agent=4", "troupe.train.max-env-steps=4000", "troupe.train.max-wall-time=120s",
                "troupe.train.report-interval=200ms", "troupe.train.target-success-rate=1.0",
                "troupe.train.evaluation.every-env-steps=2000", "troupe.train.evaluation.episodes=8",
                "troupe.train.evaluation.envs=4",
                "troupe.model.kind=transformer", "troupe.model.embedding=8", "troupe.model.heads=2",
                "troupe.model.layers=1", "troupe.model.feed-forward=16", "troupe.model.patch-size=10",
                level + "size=6", level + "colors=2", level + "types=3", level + "max-steps=20", level + "view=agent",
                level + "view-cells=5", level + "cell-pixels=4",
                level + "curriculum.stages=[{size=4,colors=1,types=2,max-steps=1},{size=5,colors=2,types=2}]",
                level + "curriculum.window=2", level + "curriculum.advance-at=0");
        assertEquals(0, code);
        Path dir;
        try (Stream<Path> s = Files.list(runs)) {
            dir = s.findFirst().orElseThrow();
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            lines.add(new ObjectMapper().readTree(line));
        }
        long played = 0;
        double lowestMeanStage = 4;
        boolean evaluated = false;
        for (JsonNode m : lines) {
            if (!m.has("curriculum/stages")) {
                assertEquals(0, m.get("episodes").asLong(), "lines before the first episode know of no curriculum");
                continue;
            }
            assertEquals(3, m.get("curriculum/stages").asInt(), m.toString());
            played += m.get("curriculum/episodes").asLong();
            if (m.has("curriculum/mean_stage")) {
                lowestMeanStage = Math.min(lowestMeanStage, m.get("curriculum/mean_stage").asDouble());
            }
            if (m.has("eval/greedy_mean_length")) {
                evaluated = true;
                // the first stage ends every episode after one step; at the level an episode ends at step 1 only
                // when the first move touches an object (a greedy policy that walks into a wrong object ends early,
                // so the level's longer time limit alone proves nothing)
                assertTrue(m.get("eval/greedy_mean_length").asDouble() > 1, "the evaluations play the level (its "
                        + "time limit is 20 steps, the first stage's 1): " + m);
            }
        }
        JsonNode last = lines.get(lines.size() - 1);
        assertTrue(lowestMeanStage < 3, "the copies started at stage 1: " + lowestMeanStage);
        assertEquals(1.0, last.get("curriculum/at_level").asDouble(), 1e-9, "every copy ended at the level: " + last);
        // each of the 4 copies played 2 episodes at each of the 2 stages before the level: those do not count
        long counted = last.get("episodes").asLong();
        assertEquals(16, played - counted, "episodes played " + played + ", counted at the level " + counted);
        assertTrue(evaluated, "metrics.jsonl carries the evaluations");
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
