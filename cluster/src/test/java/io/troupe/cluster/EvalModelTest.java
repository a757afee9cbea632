package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.bundle.EdgeBundle;
import io.troupe.export.onnx.OnnxExporter;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./troupe eval --model policy.onnx} on a CartPole run trained here (the default job, about 15 s): ONNX Runtime
 * acting greedily gives exactly the return of {@code eval --checkpoint} (DJL) for the same seed, episode by episode,
 * since the greedy actions agree on every step. Bad uses of {@code --model} get one line and exit 2.
 */
class EvalModelTest {
    @TempDir
    Path tmp;

    private static double meanReturn(CliRun r) {
        assertEquals(0, r.code(), r.err());
        return Double.parseDouble(r.out().replaceAll("(?s).*mean return ([0-9.]+).*", "$1"));
    }

    @Test
    void anExportedModelEvaluatesToTheCheckpointsReturn() throws Exception {
        Path runs = tmp.resolve("runs");
        int code = TroupeCli.commandLine().execute("train", "--config", Path.of("..", "conf", "cartpole.conf")
                .toString(), "--run-dir", runs.toString(), "troupe.train.max-env-steps=60000");
        assertEquals(0, code);
        Path run;
        try (Stream<Path> s = Files.list(runs)) {
            run = s.findFirst().orElseThrow();
        }
        Path bundle = tmp.resolve("bundle");
        EdgeBundle.Written w = EdgeBundle.write(RunCheckpoint.open(run), bundle, List.of());
        Path model = bundle.resolve(EdgeBundle.MODEL);
        assertTrue(Files.isRegularFile(model) && w.contract().policyVersion() > 0, w.toString());

        for (String seed : List.of("3", "12345")) {
            CliRun djl = CliRun.of("eval", "--checkpoint", run.toString(), "--episodes", "20", "--seed", seed);
            CliRun ort = CliRun.of("eval", "--model", model.toString(), "--episodes", "20", "--seed", seed);
            assertEquals(meanReturn(djl), meanReturn(ort), 0.0, djl.out() + ort.out());
            assertTrue(ort.out().contains("(ONNX Runtime, policy version " + w.contract().policyVersion() + ")"),
                    ort.out());
            assertTrue(meanReturn(ort) > 30, "trained for 60k steps, greedy: " + ort.out());
        }

        CliRun both = CliRun.of("eval", "--checkpoint", run.toString(), "--model", model.toString());
        CliRun neither = CliRun.of("eval");
        for (CliRun r : List.of(both, neither)) {
            assertEquals(TroupeCli.USER_ERROR, r.code());
            assertTrue(r.err().contains("eval needs exactly one of --checkpoint DIR (a run) or --model FILE"),
                    r.err());
        }
        Path corrupt = tmp.resolve("corrupt");
        Files.createDirectories(corrupt);
        Files.copy(bundle.resolve("policy.json"), corrupt.resolve("policy.json"));
        Files.write(corrupt.resolve("policy.onnx"), Files.readString(bundle.resolve("README.txt")).getBytes());
        CliRun bad = CliRun.of("eval", "--model", corrupt.resolve("policy.onnx").toString());
        assertEquals(TroupeCli.USER_ERROR, bad.code());
        assertTrue(bad.err().contains("ONNX model " + corrupt.resolve("policy.onnx") + " cannot be loaded by ONNX"
                + " Runtime") && bad.err().strip().lines().count() == 1, bad.err());
    }

    @Test
    void aModelOfAnotherObservationSpaceThanTheEnvsIsRefused() throws Exception {
        EnvSpec wider = new EnvSpec("CartPole-v1", Box.uniform(-5, 5, DType.FLOAT32, 5), new Discrete(2),
                OptionalInt.of(500), OptionalDouble.empty(), false);
        Path model = tmp.resolve("wide/policy.onnx");
        Files.createDirectories(model.getParent());
        try (PolicyModel m = PolicyModel.create(wider, ModelConfig.mlp(8), 1, Device.cpu())) {
            OnnxExporter.export(m, 1, model, OnnxExporter.DEFAULT_OPSET);
        }
        CliRun r = CliRun.of("eval", "--model", model.toString(), "--episodes", "2");
        assertEquals(TroupeCli.USER_ERROR, r.code());
        assertTrue(r.err().contains("model " + model + " observes Box(float32, [5], -5..5) but CartPole-v1 with its"
                + " default settings gives Box(float32, [4]") && r.err().contains("evaluate the run with --checkpoint"),
                r.err());
    }

    /**
     * A run whose env is not its registration's default (GoToObject-v0 with {@code view = agent} on the registration,
     * as {@code conf/gotoobject-agent.conf} sets it): the exported contract carries the settings, and {@code eval
     * --model} plays that env, to the same figures as {@code eval --checkpoint} for the same seed.
     */
    @Test
    void anExportedModelCarriesItsRunsEnvSettings() throws Exception {
        String conf = "troupe.train.env = \"GoToObject-v0\"\n"
                + "troupe.environments.GoToObject-v0.params.view = agent\n"
                + "troupe.model { kind = transformer, embedding = 16, heads = 2, layers = 1, feed-forward = 32, "
                + "patch-size = 6, state-tokens = 1 }\n";
        Path run = tmp.resolve("agent-view");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.conf"), conf);
        Config config = ConfigFactory.parseString(conf).withFallback(ConfigFactory.defaultReference()).resolve();
        EnvSpec spec = EnvRegistry.fromConfig(config).spec("GoToObject-v0");
        try (PolicyModel model = PolicyModel.create(spec, ModelConfig.fromConfig(config.getConfig("troupe.model")), 9,
                Device.cpu()); Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            LearnerCheckpoint.save(run.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(1, 64, 1));
        }
        Path model = tmp.resolve("agent-view-export/policy.onnx");
        Files.createDirectories(model.getParent());
        PolicyContract contract = OnnxExporter.export(RunCheckpoint.open(run), model, OnnxExporter.DEFAULT_OPSET);
        assertEquals("agent", contract.envSettings().get("params").get("view").asText(), contract.toJson());

        CliRun djl = CliRun.of("eval", "--checkpoint", run.toString(), "--episodes", "16", "--seed", "5");
        CliRun ort = CliRun.of("eval", "--model", model.toString(), "--episodes", "16", "--seed", "5");
        assertEquals(0, ort.code(), ort.err());
        assertEquals(meanReturn(djl), meanReturn(ort), 0.0, djl.out() + ort.out());
        String success = "success rate ([0-9.]+)";
        assertEquals(djl.out().replaceAll("(?s).*?" + success + ".*", "$1"),
                ort.out().replaceAll("(?s).*?" + success + ".*", "$1"), djl.out() + ort.out());
    }
}
