package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.run.Evaluation;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./troupe eval} on a real run directory: greedy and sampled figures, one line each. */
class EvalCommandTest {
    private static final String MODEL = """
            troupe.model { kind = "transformer", embedding = 16, heads = 2, layers = 1, feed-forward = 32,
                           patch-size = 6, state-tokens = 1 }
            """;

    @TempDir
    Path runDir;

    @Test
    void printsGreedyAndSampledFiguresOfTheSameEpisodes() throws Exception {
        Files.writeString(runDir.resolve("config.conf"), "troupe.train.env = \"GoToObject-v0\"\n" + MODEL);
        EnvRegistry registry = EnvRegistry.defaults();
        ModelConfig config = ModelConfig.fromConfig(ConfigFactory.parseString(MODEL)
                .withFallback(ConfigFactory.defaultReference()).resolve().getConfig("troupe.model"));
        try (Env env = registry.make("GoToObject-v0");
             PolicyModel model = PolicyModel.create(env.spec(), config, 3, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            LearnerCheckpoint.save(runDir.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(1, 64, 1));

            CliRun r = CliRun.of("eval", "--checkpoint", runDir.toString(), "--episodes", "40", "--seed", "5");
            assertEquals(0, r.code(), r.err());
            List<String> lines = r.out().strip().lines().toList();
            assertEquals(2, lines.size(), r.out());
            Path folder = runDir.resolve("checkpoints/latest").toAbsolutePath().normalize();
            for (Evaluation.Mode mode : Evaluation.Mode.values()) {
                Evaluation.Result expected = Evaluation.run(registry, "GoToObject-v0", ConfigFactory.empty(), model,
                        40, 16, 5, mode);
                String line = lines.get(mode.ordinal());
                String figures = String.format(Locale.ROOT, "40 episodes: mean return %.2f, success rate %.2f, "
                        + "mean episode length %.1f", expected.meanReturn(), expected.successRate(),
                        expected.meanLength());
                assertTrue(line.startsWith("GoToObject-v0, " + mode.label() + " policy of " + folder), line);
                assertTrue(line.endsWith(figures), line + " should end with " + figures);
            }
            assertTrue(lines.get(1).contains("(actions drawn from softmax(logits), seed 5)"), lines.get(1));
            assertEquals(r.out(), CliRun.of("eval", "--checkpoint", runDir.toString(), "--episodes", "40", "--seed",
                    "5").out(), "both lines repeat with the seed");
        }
    }
}
