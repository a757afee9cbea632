package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.Config;
import io.troupe.actors.AgentSettings;
import io.troupe.actors.UnrollBudget;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.run.EvaluationSettings;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.EnvSpec;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.transport.wire.WireSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every job file in {@code conf/} starts: it resolves, names a registered env, builds its model over that env's
 * spaces, sets nothing its job replaces (a PPO job's replay table), and one unroll fits its own message budget under
 * Artery's frame. A job file that fails here would fail at launch (the first probe of the Hard level's agent view
 * did, its 1.6 MB unrolls over a 786 KB budget).
 */
class JobConfigFilesTest {
    /** Node settings, not jobs: they carry no troupe.train of their own. */
    private static final Set<String> NOT_JOBS = Set.of("cluster-node.conf", "tls.conf");

    @TestFactory
    Stream<DynamicTest> everyJobFileInConfStarts() throws IOException {
        List<Path> jobs;
        try (Stream<Path> files = Files.list(Path.of("..", "conf"))) {
            jobs = files.filter(p -> p.getFileName().toString().endsWith(".conf"))
                    .filter(p -> !NOT_JOBS.contains(p.getFileName().toString())).sorted().toList();
        }
        assertTrue(jobs.size() >= 10, "expected the job files of conf/, found " + jobs);
        return jobs.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(),
                () -> assertDoesNotThrow(() -> checkJob(file), file.toString())));
    }

    private static void checkJob(Path file) {
        Config config = JobConfig.load(file, List.of());
        TrainSettings settings = TrainSettings.fromConfig(config);
        EvaluationSettings.fromConfig(config); // a malformed troupe.train.evaluation: its error names the key
        assertEquals(List.of(), ClusterJob.replacedSettings(config, settings), file + ": sets what its job replaces");
        EnvSpec spec;
        try (Env env = EnvRegistry.fromConfig(config).make(settings.env(), settings.envOverrides())) {
            spec = env.spec();
        }
        try (PolicyModel model = PolicyModel.create(spec, ModelConfig.fromConfig(config.getConfig("troupe.model")),
                settings.seed(), Device.cpu())) {
            assertTrue(model.parameterCount() > 0, file + ": a model without parameters");
        }
        int wireLimit = WireSettings.fromConfig(config).maxMessageBytes();
        long frame = config.getBytes("pekko.remote.artery.advanced.maximum-frame-size");
        assertTrue(wireLimit <= frame, file + ": troupe.transport.max-message-bytes = " + wireLimit
                + " is over Artery's maximum-frame-size = " + frame);
        UnrollBudget.check(spec, AgentSettings.fromConfig(config), wireLimit);
    }
}
