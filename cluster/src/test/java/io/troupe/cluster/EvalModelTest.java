package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.cluster.cli.TroupeCli;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.bundle.EdgeBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}
