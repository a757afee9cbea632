package io.troupe.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.learners.impala.ImpalaConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How many unrolls a job's learner trains on per update: one per env copy for PPO and distillation, and IMPALA's own
 * {@code troupe.impala.batch-unrolls} (until the sixteenth session IMPALA jobs took {@code troupe.learner}'s 16 and
 * that key was read but never used).
 */
class LearnerBatchTest {
    private static int batchOf(Path file, String... overrides) {
        Config config = JobConfig.load(file, List.of(overrides));
        TrainSettings settings = TrainSettings.fromConfig(config);
        return ClusterJob.batchUnrolls(settings.algorithm(), settings.totalEnvs(),
                ImpalaConfig.fromConfig(config.getConfig("troupe.impala")));
    }

    @Test
    void anImpalaJobTrainsOnBatchesOfItsOwnSetting() {
        Path impala = Path.of("..", "conf", "cartpole-impala.conf");
        assertEquals(16, batchOf(impala), "conf/cartpole-impala.conf's troupe.impala.batch-unrolls");
        assertEquals(8, batchOf(impala, "troupe.impala.batch-unrolls=8"));
        assertEquals(4, batchOf(impala, "troupe.impala.batch-unrolls=4", "troupe.learner.batch-unrolls=64"),
                "troupe.learner.batch-unrolls is for a learner outside a job");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> batchOf(impala, "troupe.impala.batch-unrolls=0"));
        assertEquals("troupe.impala.batch-unrolls is 0; expected the unrolls per update, an integer >= 1", e.getMessage());
    }

    @Test
    void onPolicyJobsTrainOnOneUnrollPerEnvCopy() {
        Path cartpole = Path.of("..", "conf", "cartpole.conf");
        assertEquals(16, batchOf(cartpole), "2 agents x 8 env copies");
        assertEquals(12, batchOf(cartpole, "troupe.train.num-agents=3", "troupe.train.envs-per-agent=4",
                "troupe.impala.batch-unrolls=5"));
    }
}
