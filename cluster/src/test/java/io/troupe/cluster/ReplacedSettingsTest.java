package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.run.TrainSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A job's own settings that the cluster job replaces (a PPO job's replay table is a queue of one unroll per env copy)
 * are named at launch instead of being dropped silently; the modules' defaults and values the job keeps are not.
 */
class ReplacedSettingsTest {
    private static List<String> replaced(String... overrides) {
        Config config = JobConfig.load(null, List.of(overrides));
        return ClusterJob.replacedSettings(config, TrainSettings.fromConfig(config));
    }

    @Test
    void aPpoJobNamesTheTableSettingsItReplacesWithWhereTheyWereSet() {
        List<String> lines = replaced("troupe.train.algorithm=ppo", "troupe.train.num-agents=2",
                "troupe.train.envs-per-agent=8", "troupe.replay.table.max-size=5000",
                "troupe.replay.table.sampler=uniform");
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("troupe.replay.table.max-size = 5000 (the override troupe.replay.table.max-size=5000) is "
                + "replaced by 16: a ppo job's replay is a queue of one unroll per env copy, each used once",
                lines.get(0));
        assertTrue(lines.get(1).startsWith("troupe.replay.table.sampler = \"uniform\" (the override "
                + "troupe.replay.table.sampler=uniform) is replaced by \"fifo\""), lines.get(1));
    }

    @Test
    void theAgentsEnvCountComesFromTheTrainSettings() {
        List<String> lines = replaced("troupe.train.algorithm=impala", "troupe.train.envs-per-agent=4",
                "troupe.agent.envs-per-agent=16");
        assertEquals(List.of("troupe.agent.envs-per-agent = 16 (the override troupe.agent.envs-per-agent=16) is "
                + "replaced by 4: troupe.train.envs-per-agent decides it"), lines);
    }

    @Test
    void defaultsValuesTheJobKeepsAndImpalaTablesAreNotReported() {
        assertEquals(List.of(), replaced("troupe.train.algorithm=ppo"));
        assertEquals(List.of(), replaced("troupe.train.algorithm=ppo", "troupe.replay.table.sampler=fifo"));
        assertEquals(List.of(), replaced("troupe.train.algorithm=impala", "troupe.replay.table.max-size=5000",
                "troupe.replay.table.sampler=uniform"));
    }
}
