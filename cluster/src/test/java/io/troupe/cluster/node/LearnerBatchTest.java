package io.troupe.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.run.TrainSettings;
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
        return ClusterJob.learnerSettings(config, settings, Path.of("run")).batchUnrolls();
    }

    @Test
    void anImpalaJobTrainsOnBatchesOfItsOwnSetting() {
        Path impala = Path.of("..", "conf", "cartpole-impala.conf");
        assertEquals(16, batchOf(impala), "conf/cartpole-impala.conf's troupe.impala.batch-unrolls");
        assertEquals(8, batchOf(impala, "troupe.impala.batch-unrolls=8"));
        assertEquals(4, batchOf(impala, "troupe.impala.batch-unrolls=4"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> batchOf(impala, "troupe.impala.batch-unrolls=0"));
        assertEquals("troupe.impala.batch-unrolls is 0; expected the unrolls per update, an integer >= 1", e.getMessage());
    }

    /**
     * Keys that look like learner settings and are not (troupe.learner.batch-unrolls was documented as a job's batch
     * and silently ignored; troupe.learner.algorithm as the way to pick distillation): refused, naming what decides.
     */
    @Test
    void learnerKeysThatAreNotSettingsAreRefusedNamingWhatDecides() {
        Path impala = Path.of("..", "conf", "cartpole-impala.conf");
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> batchOf(impala, "troupe.learner.batch-unrolls=64"));
        assertEquals("troupe.learner.batch-unrolls is not a setting: a job's learner takes one unroll per env copy for "
                + "ppo and distill, troupe.impala.batch-unrolls for impala; remove it from the config",
                batch.getMessage());
        IllegalArgumentException algorithm = assertThrows(IllegalArgumentException.class,
                () -> batchOf(impala, "troupe.learner.algorithm=distill"));
        assertEquals("troupe.learner.algorithm is not a setting: a job's learner trains with troupe.train.algorithm "
                + "(ppo | impala | distill); remove it from the config", algorithm.getMessage());
        IllegalArgumentException role = assertThrows(IllegalArgumentException.class,
                () -> batchOf(impala, "troupe.learner.role=gpu"));
        assertEquals("troupe.learner.role is not a setting: learners run on the nodes of role learner (--roles; node "
                + "roles are fixed); remove it from the config", role.getMessage());
    }

    @Test
    void aJobsCheckpointsLiveInItsRunDirectoryUnlessTheDirectoryIsAbsolute() {
        Path cartpole = Path.of("..", "conf", "cartpole.conf");
        Config config = JobConfig.load(cartpole, List.of());
        assertEquals(Path.of("run", "checkpoints"), ClusterJob.learnerSettings(config,
                TrainSettings.fromConfig(config), Path.of("run")).checkpointDir());
        Config absolute = JobConfig.load(cartpole, List.of("troupe.learner.checkpoint-dir=/shared/ckpt"));
        assertEquals(Path.of("/shared/ckpt"), ClusterJob.learnerSettings(absolute,
                TrainSettings.fromConfig(absolute), Path.of("run")).checkpointDir());
    }

    /** An agent waits up to policy-wait-timeout for weights: a learner that gives up sooner splits its batch. */
    @Test
    void aLearnerThatGivesUpOnABatchBeforeAnAgentStopsWaitingForWeightsIsRefused() {
        for (String conf : new String[] {"gotoobject.conf", "gotoobject-hard-curriculum.conf", "cartpole.conf"}) {
            Config config = JobConfig.load(Path.of("..", "conf", conf), List.of());
            ClusterJob.checkPacing(AgentSettings.fromConfig(config), ClusterJob.learnerSettings(config,
                    TrainSettings.fromConfig(config), Path.of("run"))); // the job files keep the order
        }
        Config late = JobConfig.load(Path.of("..", "conf", "gotoobject.conf"),
                List.of("troupe.learner.partial-batch-after=5s"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterJob.checkPacing(
                AgentSettings.fromConfig(late), ClusterJob.learnerSettings(late, TrainSettings.fromConfig(late),
                        Path.of("run"))));
        assertEquals("troupe.learner.partial-batch-after (5000 ms) must be longer than troupe.agent.policy-wait-timeout "
                + "(10000 ms) under troupe.agent.max-policy-lag = 0: an agent waiting for weights would split the "
                + "learner's batch; raise partial-batch-after (by an unroll's acting time or more), lower "
                + "policy-wait-timeout, or set max-policy-lag = -1", e.getMessage());
        Config free = JobConfig.load(Path.of("..", "conf", "gotoobject.conf"),
                List.of("troupe.learner.partial-batch-after=5s", "troupe.agent.max-policy-lag=-1"));
        ClusterJob.checkPacing(AgentSettings.fromConfig(free), ClusterJob.learnerSettings(free,
                TrainSettings.fromConfig(free), Path.of("run"))); // agents acting freely never wait for weights
    }

    @Test
    void onPolicyJobsTrainOnOneUnrollPerEnvCopy() {
        Path cartpole = Path.of("..", "conf", "cartpole.conf");
        assertEquals(16, batchOf(cartpole), "2 agents x 8 env copies");
        assertEquals(12, batchOf(cartpole, "troupe.train.num-agents=3", "troupe.train.envs-per-agent=4",
                "troupe.impala.batch-unrolls=5"));
    }
}
