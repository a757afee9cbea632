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

    private static LearnerSettings read(Config c) {
        return LearnerSettings.fromConfig(c, LearnerAlgorithm.PPO, 16);
    }

    @Test
    void timingsComeFromReferenceConf() {
        LearnerSettings s = read(learner());
        assertEquals(LearnerSettings.SAMPLE_WAIT, s.sampleWait());
        assertEquals(LearnerSettings.PARTIAL_BATCH_AFTER, s.partialBatchAfter());
        assertEquals(LearnerSettings.REFUSED_RETRY, s.refusedRetry());
        LearnerSettings job = LearnerSettings.fromConfig(learner(), LearnerAlgorithm.IMPALA, 7)
                .withCheckpointDir(Path.of("/tmp/x"));
        assertEquals(LearnerAlgorithm.IMPALA, job.algorithm());
        assertEquals(7, job.batchUnrolls());
        assertEquals(Path.of("/tmp/x"), job.checkpointDir());
        assertEquals(s.partialBatchAfter(), job.partialBatchAfter(), "a job keeps the configured timings");
        LearnerSettings longer = read(ConfigFactory.parseString("partial-batch-after = 9s")
                .withFallback(learner()));
        assertEquals(Duration.ofSeconds(9), longer.partialBatchAfter());
    }

    @Test
    void theAlgorithmAndTheBatchAreTheJobsAndTheirOldKeysAreRefused() {
        assertEquals(LearnerAlgorithm.DISTILL, LearnerSettings.fromConfig(learner(), LearnerAlgorithm.DISTILL, 4)
                .algorithm());
        for (String key : new String[] {"algorithm = impala", "batch-unrolls = 8", "role = learner"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(
                    ConfigFactory.parseString(key).withFallback(learner())));
            assertTrue(e.getMessage().startsWith("troupe.learner." + key.split(" ")[0] + " is not a setting: "),
                    e.getMessage());
        }
    }

    @Test
    void aNonPositiveTimingIsRefusedNamingItsKey() {
        for (String key : new String[] {"sample-wait", "partial-batch-after", "refused-retry"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(
                    ConfigFactory.parseString(key + " = 0s").withFallback(learner())));
            assertTrue(e.getMessage().contains("troupe.learner." + key), e.getMessage());
        }
    }

    @Test
    void intraOpThreadsDefaultToTheProcesssSettingAndAreKeptForAJob() {
        LearnerSettings s = read(learner());
        assertEquals(0, s.intraOpThreads(), "0: the launcher's -Dai.djl.pytorch.num_threads");
        LearnerSettings two = read(ConfigFactory.parseString("intra-op-threads = 2").withFallback(learner()));
        assertEquals(2, two.withCheckpointDir(Path.of("/tmp/x")).intraOpThreads());
        for (String bad : new String[] {"-1", "257"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(
                    ConfigFactory.parseString("intra-op-threads = " + bad).withFallback(learner())));
            assertTrue(e.getMessage().contains("troupe.learner.intra-op-threads") && e.getMessage().contains(bad),
                    e.getMessage());
        }
    }
}
