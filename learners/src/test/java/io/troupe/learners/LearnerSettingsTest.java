package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The learner's sampling timings are settings: read from reference.conf, validated naming the key. */
class LearnerSettingsTest {
    private static Config learner() {
        return ConfigFactory.defaultReference().getConfig("troupe.learner");
    }

    @Test
    void timingsComeFromReferenceConf() {
        LearnerSettings s = LearnerSettings.fromConfig(learner());
        assertEquals(LearnerSettings.SAMPLE_WAIT, s.sampleWait());
        assertEquals(LearnerSettings.PARTIAL_BATCH_AFTER, s.partialBatchAfter());
        assertEquals(LearnerSettings.REFUSED_RETRY, s.refusedRetry());
        LearnerSettings job = s.forJob(LearnerAlgorithm.IMPALA, 7, Path.of("/tmp/x"));
        assertEquals(LearnerAlgorithm.IMPALA, job.algorithm());
        assertEquals(7, job.batchUnrolls());
        assertEquals(s.partialBatchAfter(), job.partialBatchAfter(), "a job keeps the configured timings");
        LearnerSettings longer = LearnerSettings.fromConfig(ConfigFactory.parseString("partial-batch-after = 9s")
                .withFallback(learner()));
        assertEquals(Duration.ofSeconds(9), longer.partialBatchAfter());
    }

    @Test
    void theAlgorithmIsAnEnumReadInAnyCaseAndAnUnknownOneNamesTheKey() {
        assertEquals(LearnerAlgorithm.IMPALA, LearnerSettings.fromConfig(ConfigFactory.parseString(
                "algorithm = IMPALA").withFallback(learner())).algorithm());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LearnerSettings.fromConfig(
                ConfigFactory.parseString("algorithm = dqn").withFallback(learner())));
        assertEquals("troupe.learner.algorithm: unknown algorithm 'dqn'; available: ppo, impala, distill", e.getMessage());
    }

    @Test
    void aNonPositiveTimingIsRefusedNamingItsKey() {
        for (String key : new String[] {"sample-wait", "partial-batch-after", "refused-retry"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LearnerSettings.fromConfig(
                    ConfigFactory.parseString(key + " = 0s").withFallback(learner())));
            assertTrue(e.getMessage().contains("troupe.learner." + key), e.getMessage());
        }
    }

    @Test
    void intraOpThreadsDefaultToTheProcesssSettingAndAreKeptForAJob() {
        LearnerSettings s = LearnerSettings.fromConfig(learner());
        assertEquals(0, s.intraOpThreads(), "0: the launcher's -Dai.djl.pytorch.num_threads");
        LearnerSettings two = LearnerSettings.fromConfig(ConfigFactory.parseString("intra-op-threads = 2")
                .withFallback(learner()));
        assertEquals(2, two.forJob(LearnerAlgorithm.PPO, 16, Path.of("/tmp/x")).intraOpThreads());
        for (String bad : new String[] {"-1", "257"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LearnerSettings.fromConfig(
                    ConfigFactory.parseString("intra-op-threads = " + bad).withFallback(learner())));
            assertTrue(e.getMessage().contains("troupe.learner.intra-op-threads") && e.getMessage().contains(bad),
                    e.getMessage());
        }
    }
}
