package io.troupe.cluster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.learners.model.ModelConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The fine-tuning job of {@code compress prune} runs its steps: GoToObject's job ends a run once the 100-episode
 * success rate reaches 0.9, which a pruned policy fine-tuned from a solved one does within a few thousand steps.
 */
class CompressPruneJobTest {
    @Test
    void fineTuningHasNoTargetThatEndsItEarlyAndCarriesThePrunedHeads() {
        Config run = ConfigFactory.parseString("""
                troupe.train { env = "GoToObject-v0", algorithm = ppo, target-success-rate = 0.9 }
                troupe.ppo.learning-rate = 1e-3
                troupe.model { kind = transformer, embedding = 32, heads = 4 }
                """).withFallback(ConfigFactory.defaultReference()).resolve();
        ModelConfig pruned = ModelConfig.fromConfig(run.getConfig("troupe.model")).withHeads(2);
        Config job = CompressPruneCommand.fineTuneJob(run, pruned, 100_000, 0.25, Path.of("/tmp/runs"));
        TrainSettings settings = TrainSettings.fromConfig(job);
        assertTrue(settings.targetSuccessRate().isEmpty(), "target success rate " + settings.targetSuccessRate());
        assertTrue(settings.targetReturn().getAsDouble() > 1e9, "target return " + settings.targetReturn());
        assertEquals(100_000, settings.maxEnvSteps());
        assertEquals(2.5e-4, job.getDouble("troupe.ppo.learning-rate"), 1e-12);
        assertEquals(pruned, ModelConfig.fromConfig(job.getConfig("troupe.model")));
        assertEquals(8, ModelConfig.fromConfig(job.getConfig("troupe.model")).headSize());
    }
}
