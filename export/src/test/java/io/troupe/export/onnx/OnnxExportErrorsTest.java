package io.troupe.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.edge.contract.PolicyContract;
import io.troupe.export.RunCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user can get wrong when exporting a run: each is one message naming the input, and nothing is written. */
class OnnxExportErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aMissingCheckpointIsNamed() {
        Path missing = dir.resolve("runs/nope");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(RunCheckpoint.open(missing), dir.resolve("policy.onnx"), 17));
        assertEquals("checkpoint " + missing + " does not exist; expected a run directory (runs/<id>), its "
                + "checkpoints/ folder, or a checkpoint folder", e.getMessage());
        assertFalse(Files.exists(dir.resolve("policy.onnx")));
    }

    @Test
    void anAblatedModelIsRefused() throws Exception {
        String ablated = TestRuns.GOTO_MODEL.replace("{ kind", "{ ablate = text, kind");
        Path run = TestRuns.write(dir.resolve("run"), "GoToObject-v0", ablated, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(RunCheckpoint.open(run), dir.resolve("policy.onnx"), 17));
        assertTrue(e.getMessage().contains("troupe.model.ablate = text"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("policy.onnx")));
        assertFalse(Files.exists(dir.resolve(PolicyContract.FILE)));
    }

    @Test
    void aDamagedWeightsFileIsNamed() throws Exception {
        Path run = TestRuns.write(dir.resolve("run"), "CartPole-v1", TestRuns.CARTPOLE_MODEL, 1, 1);
        Path weights = run.resolve("checkpoints/latest/weights.trpw");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(weights, bytes);
        // previous/ does not exist yet (one save): the damaged latest/ is the only checkpoint
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(RunCheckpoint.open(run), dir.resolve("policy.onnx"), 17));
        assertTrue(e.getMessage().startsWith("checkpoint " + run.resolve("checkpoints/latest").toAbsolutePath()
                + " is unreadable"), e.getMessage());
        assertTrue(e.getMessage().contains("weights.trpw"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("policy.onnx")));
    }

    @Test
    void aCheckpointOfAnotherShapeIsNamed() throws Exception {
        Path run = TestRuns.write(dir.resolve("run"), "CartPole-v1", TestRuns.CARTPOLE_MODEL, 1, 1);
        // the run's config now says a narrower network than the checkpoint holds
        Files.writeString(run.resolve("config.conf"), "troupe.train.env = \"CartPole-v1\"\n"
                + "troupe.model { kind = mlp, mlp-hidden = [32, 32] }\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(RunCheckpoint.open(run), dir.resolve("policy.onnx"), 17));
        assertTrue(e.getMessage().startsWith("checkpoint " + run.resolve("checkpoints/latest").toAbsolutePath()
                + " does not fit the run's model mlp[32,32]"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("policy.onnx")));
    }

    @Test
    void anOutputThatIsADirectoryOrTheContractsNameIsRefused() throws Exception {
        Path run = TestRuns.write(dir.resolve("run"), "CartPole-v1", TestRuns.CARTPOLE_MODEL, 1, 1);
        RunCheckpoint checkpoint = RunCheckpoint.open(run);
        Path out = Files.createDirectories(dir.resolve("out"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(checkpoint, out, 17));
        assertEquals("model file " + out + " is a directory; expected the .onnx file to write, such as "
                + out.resolve("policy.onnx"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> OnnxExporter.export(checkpoint, out.resolve("policy.json"), 17));
        assertTrue(e.getMessage().startsWith("model file " + out.resolve("policy.json") + ": expected a file name "
                + "other than policy.json"), e.getMessage());
        try (var files = Files.list(out)) {
            assertEquals(0, files.count());
        }
    }
}
