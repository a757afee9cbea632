package io.troupe.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.core.Categorical;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.learners.model.ImageStem;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.model.Readout;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported graph computes what the DJL model computes: on every batch of real observations met while running 100
 * greedy evaluation episodes (16 env copies), ONNX Runtime (all graph optimizations on) gives logits and values within
 * 1e-5 of DJL's, and the same greedy action for every row, so both policies run the same episodes.
 */
class OnnxParityTest {
    private static final double TOLERANCE = 1e-5;
    private static final int EPISODES = 100;
    private static final int ENVS = 16;

    @TempDir
    Path dir;

    @Test
    void cartPoleMlpMatchesDjl() throws Exception {
        parity("CartPole-v1", ModelConfig.mlp(64, 64), 17);
    }

    @Test
    void goToObjectTransformerMatchesDjl() throws Exception {
        // conf/gotoobject.conf's model
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1), 17);
    }

    @Test
    void twoLayerTransformerMatchesDjlWithTheGeluOperator() throws Exception {
        // opset 20 writes GELU as ONNX's Gelu operator instead of its erf formula
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 2, 64, 6, 1), 20);
    }

    @Test
    void meanReadoutTransformerMatchesDjl() throws Exception {
        // troupe.model.readout = mean (conf/gotoobject.conf): the logits read from the mean over the tokens; opset 17
        // writes ReduceMean's axes as an attribute, 18 as an input
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1).withReadout(Readout.MEAN), 17);
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1).withReadout(Readout.MEAN), 18);
    }

    @Test
    void headPrunedTransformerMatchesDjl() throws Exception {
        // three heads of 8 over a 32-wide embedding (what --structured heads leaves): the attention is 24 wide
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 2, 64, 6, 1).withHeads(3), 17);
    }

    @Test
    void embeddingPrunedTransformerMatchesDjl() throws Exception {
        // 15 channels with four heads of 8 (what --structured embedding leaves): the attention is wider than the stream
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 2, 64, 6, 1).withEmbedding(15), 17);
    }

    /**
     * FiLM ({@code troupe.model.film}): the mission's scale and shift of the image tokens. The maps start at zero, so
     * they are filled with random values first (else the test could not tell a graph that skips them).
     */
    @Test
    void filmTransformerMatchesDjl() throws Exception {
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 2, 64, 6, 1).withFilm(true), 17, model -> {
            SplittableRandom rng = new SplittableRandom(3);
            long filled = model.parameters().stream().filter(p -> p.getKey().contains("film")).peek(p -> {
                float[] v = new float[(int) p.getValue().getArray().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.3 * rng.nextGaussian());
                }
                InPlace.copy(p.getValue().getArray(), v);
            }).count();
            assertEquals(4, filled, "the scale and shift maps' weights and biases");
        });
    }

    /**
     * The cell stem ({@code troupe.model.stem}): Conv and Relu per cell, with FiLM's scale and shift on its features and a
     * second Relu, then the patch embedding over 2 x 2 cells; and the stem without FiLM.
     */
    @Test
    void cellStemTransformerMatchesDjl() throws Exception {
        ModelConfig stem = ModelConfig.transformer(32, 4, 2, 64, 6, 1).withStem(new ImageStem(16, 3));
        parity("GoToObject-v0", stem, 17);
        parity("GoToObject-v0", stem.withFilm(true), 17, model -> {
            SplittableRandom rng = new SplittableRandom(5);
            model.parameters().stream().filter(p -> p.getKey().contains("film")).forEach(p -> {
                float[] v = new float[(int) p.getValue().getArray().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.3 * rng.nextGaussian());
                }
                InPlace.copy(p.getValue().getArray(), v);
            });
        });
    }

    /**
     * A trained policy: its activations and logits (up to about 7 here) are larger than a fresh model's. The weights
     * are those of conf/gotoobject.conf's run (seed 1) at policy version 574, 587,776 env steps (greedy success 0.82).
     */
    @Test
    void trainedGoToObjectTransformerMatchesDjl() throws Exception {
        byte[] weights;
        try (InputStream in = OnnxParityTest.class.getResourceAsStream("gotoobject-trained.trpw")) {
            weights = in.readAllBytes();
        }
        parity("GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1), 17,
                model -> model.load(new PolicyWeights(model.modelId(), 574, weights)));
    }

    private void parity(String envId, ModelConfig config, int opset) throws Exception {
        parity(envId, config, opset, model -> { });
    }

    private void parity(String envId, ModelConfig config, int opset, Consumer<PolicyModel> setUp) throws Exception {
        Path onnx = dir.resolve("policy.onnx");
        try (VectorEnv vec = VectorEnv.of(() -> EnvRegistry.defaults().make(envId), ENVS);
             PolicyModel model = PolicyModel.create(vec.spec(), config, 7, Device.cpu())) {
            setUp.accept(model);
            OnnxExporter.export(model, 3, onnx, opset);
            try (OrtRunner ort = new OrtRunner(Files.readAllBytes(onnx))) {
                List<Double> returns = new ArrayList<>();
                vec.setEpisodeListener((i, ret, len, term, success) -> returns.add(ret));
                vec.reset(11);
                int actions = model.actions();
                double maxDiff = 0;
                int steps = 0;
                int rows = 0;
                int[] chosen = new int[ENVS];
                while (returns.size() < EPISODES) {
                    ObservationBatch obs = vec.observations();
                    PolicyModel.Output djl = model.infer(obs);
                    float[][] out = ort.run(obs);
                    maxDiff = Math.max(maxDiff, maxAbsDiff(djl.logits(), out[0]));
                    maxDiff = Math.max(maxDiff, maxAbsDiff(djl.values(), out[1]));
                    for (int e = 0; e < ENVS; e++) {
                        chosen[e] = Categorical.argmax(djl.logits(), e * actions, actions);
                        assertEquals(chosen[e], Categorical.argmax(out[0], e * actions, actions),
                                "greedy action of env " + e + " at step " + steps + " of " + envId);
                    }
                    if (steps == 0) {
                        maxDiff = Math.max(maxDiff, singleRows(model, ort, obs));
                    }
                    vec.step(chosen);
                    steps++;
                    rows += ENVS;
                }
                System.out.printf("parity %s %s opset %d: %d batches (%d observations), %d episodes, "
                        + "max abs diff %.3g%n", envId, config.describe(), opset, steps, rows, returns.size(), maxDiff);
                assertTrue(maxDiff <= TOLERANCE, "max abs difference " + maxDiff + " > " + TOLERANCE);
            }
        }
    }

    /** Each row alone (batch 1, the dynamic batch dimension at its smallest). */
    private static double singleRows(PolicyModel model, OrtRunner ort, ObservationBatch obs) throws Exception {
        double max = 0;
        for (int r = 0; r < obs.rows(); r++) {
            ObservationBatch one = ObservationBatch.forSpace(model.spec().observationSpace(), 1);
            obs.copyRow(r, one, 0);
            PolicyModel.Output djl = model.infer(one);
            float[][] out = ort.run(one);
            max = Math.max(max, Math.max(maxAbsDiff(djl.logits(), out[0]), maxAbsDiff(djl.values(), out[1])));
        }
        return max;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "output sizes");
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}
