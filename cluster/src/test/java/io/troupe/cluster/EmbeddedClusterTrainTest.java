package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.cluster.cli.TroupeCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}
