package io.troupe.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.troupe.export.RunCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's {@code config.conf} records every resolved setting, defaults included, so a run written before the
 * seventeenth session holds keys a job now refuses (troupe.learner.algorithm, batch-unrolls, role, troupe.replay.role,
 * priority-exponent). Opening such a run drops exactly those, so pruning's fine-tuning and distillation, which train
 * from the run's config, still start from it.
 */
class OlderRunConfigTest {
    @TempDir
    Path dir;

    @Test
    void keysOlderRunsWroteThatAreNoLongerSettingsAreDroppedAndTheRestKept() throws Exception {
        Path run = TestRuns.write(dir.resolve("run"), "CartPole-v1", TestRuns.CARTPOLE_MODEL, 1, 1);
        Files.writeString(run.resolve("config.conf"), """
                troupe.learner { algorithm = "ppo", batch-unrolls = 16, role = "learner", publish-every = 3 }
                troupe.replay { role = "replay", table { priority-exponent = 0.6, max-size = 77 } }
                """, StandardOpenOption.APPEND);
        RunCheckpoint checkpoint = RunCheckpoint.open(run);
        for (String key : new String[] {"troupe.learner.algorithm", "troupe.learner.batch-unrolls",
                "troupe.learner.role", "troupe.replay.role", "troupe.replay.table.priority-exponent"}) {
            assertFalse(checkpoint.config().hasPath(key), key + " is still in the opened run's config");
        }
        assertEquals(3, checkpoint.config().getInt("troupe.learner.publish-every"), "a setting the run wrote is kept");
        assertEquals(77, checkpoint.config().getInt("troupe.replay.table.max-size"));
        assertEquals("CartPole-v1", checkpoint.envId());
    }
}
