package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.cluster.run.InitialReward;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code troupe.train.reward}: a job's agents train on the configured reward (a template name or an expression) from
 * their first episode, as version 1 of the env's reward registry; a reward that cannot be used is refused before
 * anything trains, naming the key.
 */
class InitialRewardTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path runs;

    private List<String> job(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--run-dir", runs.toString(), "troupe.train.algorithm=ppo",
                "troupe.train.mode=cluster", "troupe.train.num-agents=1", "troupe.train.envs-per-agent=4",
                "troupe.model.kind=mlp", "troupe.train.max-env-steps=3000", "troupe.train.max-wall-time=60s",
                "troupe.train.report-interval=200ms"));
        args.addAll(List.of(extra));
        return args;
    }

    @Test
    void aTemplateNameBecomesVersionOneAndEveryEpisodeTrainsOnIt() throws Exception {
        CliRun run = CliRun.of(job("troupe.train.reward=upright").toArray(String[]::new));
        assertEquals(0, run.code(), run.err());
        Path dir;
        try (Stream<Path> s = Files.list(runs)) {
            dir = s.findFirst().orElseThrow();
        }
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        int withEpisodes = 0;
        for (String line : lines) {
            JsonNode m = JSON.readTree(line);
            if (m.path("episodes").asLong() == 0) {
                continue;
            }
            withEpisodes++;
            assertEquals(1, m.path("reward_version").asLong(), line);
            JsonNode byVersion = m.path("returns_by_reward_version");
            List<String> versions = new ArrayList<>();
            byVersion.fieldNames().forEachRemaining(versions::add);
            assertEquals(List.of("1"), versions, "no episode ran under the env's own reward: " + line);
        }
        assertTrue(withEpisodes > 0, "the run ended episodes: " + lines);
        JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
        JsonNode v1 = last.path("returns_by_reward_version").path("1");
        // upright pays 1 - |theta| / 0.21 per step, under the env's +1 except with the pole exactly vertical
        double envReturn = v1.path("mean_return").asDouble(Double.NaN);
        double shaped = v1.path("mean_reward_return").asDouble(Double.NaN);
        assertTrue(shaped > 0 && shaped < envReturn, "the shaper used the template: " + v1);
        String config = Files.readString(dir.resolve("config.conf"));
        assertTrue(config.matches("(?s).*\\breward\\s*=\\s*\"?upright\"?\\s.*"), "the run's config records it: " + config);
    }

    @Test
    void aRewardThatDoesNotCompileIsRefusedNamingTheKeyAndTheTemplates() throws Exception {
        CliRun run = CliRun.of(job("troupe.train.reward=thta + 1").toArray(String[]::new));
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("troupe.train.reward = \"thta + 1\"") && run.err().contains("'thta'")
                && run.err().contains("upright, centered"), run.err());
        assertNothingWritten();
    }

    @Test
    void aRewardWhoseDryRunIsNotFiniteIsRefused() throws Exception {
        CliRun run = CliRun.of(job("troupe.train.reward=reward / (x - x)").toArray(String[]::new));
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("troupe.train.reward") && run.err().contains("Infinity at step"),
                run.err());
        assertNothingWritten();
    }

    @Test
    void theReferenceLoopRefusesAReward() {
        CliRun run = CliRun.of(job("troupe.train.mode=reference", "troupe.train.reward=upright")
                .toArray(String[]::new));
        assertNotEquals(0, run.code());
        assertTrue(run.err().contains("troupe.train.reward") && run.err().contains("troupe.train.mode = cluster"),
                run.err());
    }

    @Test
    void aTemplateNameStandsForItsExpressionAndAnythingElseForItself() {
        assertEquals("1 - abs(theta) / 0.21", InitialReward.expression("CartPole-v1", "upright"));
        assertEquals("reward * 2", InitialReward.expression("CartPole-v1", "reward * 2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InitialReward.expression("GoToObject-v0", "upright"));
        assertTrue(e.getMessage().contains("template of CartPole-v1, not of GoToObject-v0")
                && e.getMessage().contains("1 - abs(theta) / 0.21"), "templates are per env: " + e.getMessage());
    }

    /** A refused job wrote nothing: no run directory. */
    private void assertNothingWritten() throws Exception {
        try (Stream<Path> s = Files.list(runs)) {
            List<Path> written = s.toList();
            assertTrue(written.isEmpty(), "a refused job wrote " + written);
        }
    }
}
