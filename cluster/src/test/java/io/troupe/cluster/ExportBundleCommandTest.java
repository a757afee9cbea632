package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.core.Categorical;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.bundle.EdgeJar;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./troupe export --format bundle}: a run's checkpoint becomes a directory whose jar, started alone in a fresh
 * JVM, prints the checkpoint's greedy action for the example observation.
 */
class ExportBundleCommandTest {
    @TempDir
    Path dir;

    @Test
    void theBundleOfARunActsLikeItsCheckpoint() throws Exception {
        Path run = dir.resolve("runs/cartpole");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.conf"), "troupe.train.env = \"CartPole-v1\"\n"
                + "troupe.model { kind = mlp, mlp-hidden = [64, 64] }\n");
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel model = PolicyModel.create(env.spec(), ModelConfig.mlp(64, 64), 5, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            LearnerCheckpoint.save(run.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(3, 300, 9));
        }
        Path out = dir.resolve("bundle");
        CliRun r = CliRun.of("export", "--checkpoint", run.toString(), "--out", out.toString(), "--format", "bundle",
                "--platform", "linux-x86_64,osx-aarch64");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("CartPole-v1, policy version 9 of ") && r.out().contains("troupe-edge.jar for"
                + " linux-x86_64, osx-aarch64"), r.out());
        assertEquals(List.of("linux-x64", "osx-aarch64"), EdgeJar.entries(out.resolve("troupe-edge.jar")).stream()
                .filter(e -> e.startsWith("ai/onnxruntime/native/") && !e.endsWith("/"))
                .map(e -> e.split("/")[3]).distinct().sorted().toList());

        int expected;
        RunCheckpoint checkpoint = RunCheckpoint.open(run);
        try (PolicyModel model = checkpoint.newModel(Device.cpu());
             Env env = EnvRegistry.defaults().make("CartPole-v1")) {
            Observation first = env.reset(0);
            ObservationBatch batch = ObservationBatch.forSpace(env.spec().observationSpace(), 1);
            batch.write(0, first);
            Policy.Evaluation e = model.evaluate(batch);
            expected = Categorical.argmax(e.logits(), 0, e.actions());
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dtroupe.edge.native-cache=" + dir.resolve("native-cache"), "-jar",
                out.resolve("troupe-edge.jar").toString(), "act", "--obs", out.resolve("obs.json").toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String printed = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.exitValue(), printed);
        assertEquals(String.valueOf(expected), printed, "the example obs.json is the env's reset(0)");
    }
}
