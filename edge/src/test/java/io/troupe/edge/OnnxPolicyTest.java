package io.troupe.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.edge.contract.PolicyContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxPolicyTest {
    private static final float[][] W = {{1, -1}, {0.5f, 2}, {0, 0}, {-3, 0.25f}};

    @TempDir
    Path dir;

    private Path write(byte[] model) throws Exception {
        Path onnx = dir.resolve("policy.onnx");
        Files.write(onnx, model);
        TinyOnnx.contract(4, 2).write(dir.resolve(PolicyContract.FILE));
        return onnx;
    }

    @Test
    void evaluatesTheGraphWithTheContractsIdentity() throws Exception {
        Path onnx = write(TinyOnnx.linear("obs", W, "logits", "value"));
        ObservationBatch batch = ObservationBatch.forSpace(TinyOnnx.contract(4, 2).observation(), 3);
        batch.write(0, Observation.of(FloatTensor.of(1, 0, 0, 0)));
        batch.write(1, Observation.of(FloatTensor.of(0, 1, 5, 0)));
        batch.write(2, Observation.of(FloatTensor.of(1, 2, 3, 4)));
        try (OnnxPolicy policy = OnnxPolicy.load(onnx)) {
            assertEquals("tiny-mlp", policy.modelId());
            Policy.Evaluation e = policy.evaluate(batch);
            assertEquals(2, e.actions());
            assertArrayEquals(new float[] {1, -1, 0.5f, 2, 1 + 1 - 12, -1 + 4 + 1}, e.logits(), 1e-6f);
            assertArrayEquals(new float[] {1, 6, 10}, e.values(), 1e-6f);
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> policy.load(new PolicyWeights("tiny-mlp", 8, new byte[4])));
            assertTrue(refused.getMessage().startsWith("an ONNX policy is fixed"), refused.getMessage());
            ObservationBatch other = ObservationBatch.forSpace(TinyOnnx.contract(3, 2).observation(), 1);
            IllegalArgumentException wrongBatch = assertThrows(IllegalArgumentException.class,
                    () -> policy.evaluate(other));
            assertTrue(wrongBatch.getMessage().contains("expects [obs:float32[4]]"), wrongBatch.getMessage());
            policy.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> policy.evaluate(batch));
            assertTrue(closed.getMessage().contains("is closed"), closed.getMessage());
        }
    }

    @Test
    void randomBytesAreAClearErrorNamingTheFile() throws Exception {
        byte[] noise = new byte[4096];
        new SplittableRandom(13).nextBytes(noise);
        for (byte[] bytes : new byte[][] {noise, new byte[0], Arrays.copyOf(TinyOnnx.linear("obs", W, "logits",
                "value"), 60)}) {
            Path onnx = write(bytes);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxPolicy.load(onnx));
            assertTrue(e.getMessage().startsWith("ONNX model " + onnx + " cannot be loaded by ONNX Runtime"),
                    e.getMessage());
            assertTrue(e.getMessage().endsWith("expected an ONNX model exported by ./troupe export"), e.getMessage());
        }
    }

    @Test
    void aModelForeignToItsContractIsNamed() throws Exception {
        Path renamed = write(TinyOnnx.linear("x", W, "logits", "value"));
        IllegalArgumentException inputs = assertThrows(IllegalArgumentException.class, () -> OnnxPolicy.load(renamed));
        assertEquals("ONNX model " + renamed + " has inputs [x]; its contract expects [obs] (is it the model the"
                + " policy.json beside it was written for?)", inputs.getMessage());

        Path narrower = write(TinyOnnx.linear("obs", Arrays.copyOf(W, 3), "logits", "value"));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> OnnxPolicy.load(narrower));
        assertEquals("ONNX model " + narrower + ": input 'obs' is float32[-1, 3]; its contract expects float32[-1, 4]"
                + " (-1: any batch size)", shape.getMessage());

        Path outputs = write(TinyOnnx.linear("obs", W, "logits", "v"));
        IllegalArgumentException output = assertThrows(IllegalArgumentException.class, () -> OnnxPolicy.load(outputs));
        assertTrue(output.getMessage().contains("has outputs [") && output.getMessage().contains("its contract expects"
                + " logits and value"), output.getMessage());
    }

    @Test
    void aMissingModelOrContractIsNamed() throws Exception {
        Path missing = dir.resolve("nothing.onnx");
        TinyOnnx.contract(4, 2).write(dir.resolve(PolicyContract.FILE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxPolicy.load(missing));
        assertTrue(e.getMessage().startsWith("ONNX model " + missing + " does not exist"), e.getMessage());
        Files.delete(dir.resolve(PolicyContract.FILE));
        Path onnx = dir.resolve("policy.onnx");
        Files.write(onnx, TinyOnnx.linear("obs", W, "logits", "value"));
        IllegalArgumentException contract = assertThrows(IllegalArgumentException.class, () -> OnnxPolicy.load(onnx));
        assertTrue(contract.getMessage().contains(PolicyContract.FILE + " does not exist"), contract.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnnxPolicy.load(onnx, TinyOnnx.contract(4, 2), 0));
    }
}
