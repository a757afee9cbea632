package io.troupe.learners.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.ParameterList;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link MultiHeadAttention} with {@code headSize = embedding / heads} is DJL's attention block bit for bit (names,
 * shapes, outputs and gradients), so every checkpoint and run from before it reproduces; with fewer heads of the same
 * size it holds {@code heads x headSize} wide projections.
 */
class MultiHeadAttentionTest {
    private static final Shape INPUT = new Shape(3, 5, 32);

    @Test
    void withEmbeddingOverHeadsItIsDjlsAttentionBitForBit() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ScaledDotProductAttentionBlock djl = ScaledDotProductAttentionBlock.builder().setEmbeddingSize(32)
                    .setHeadCount(4).optAttentionProbsDropoutProb(0f).build();
            MultiHeadAttention ours = new MultiHeadAttention(32, 4, 8);
            djl.initialize(manager, DataType.FLOAT32, INPUT);
            ours.initialize(manager, DataType.FLOAT32, INPUT);
            ParameterList theirs = djl.getParameters();
            ParameterList mine = ours.getParameters();
            assertEquals(theirs.size(), mine.size());
            SplittableRandom rng = new SplittableRandom(5);
            for (int i = 0; i < mine.size(); i++) {
                assertEquals(theirs.get(i).getKey(), mine.get(i).getKey());
                NDArray a = theirs.get(i).getValue().getArray();
                assertEquals(a.getShape(), mine.get(i).getValue().getArray().getShape());
                float[] v = new float[(int) a.size()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = (float) rng.nextGaussian() * 0.3f;
                }
                InPlace.copy(a, v);
                InPlace.copy(mine.get(i).getValue().getArray(), v);
            }
            float[] x = new float[(int) INPUT.size()];
            for (int k = 0; k < x.length; k++) {
                x[k] = (float) rng.nextGaussian();
            }
            float[][] djlRun = run(djl, manager, x);
            float[][] ourRun = run(ours, manager, x);
            assertEquals(djlRun.length, ourRun.length);
            for (int k = 0; k < djlRun.length; k++) {
                assertArrayEquals(djlRun[k], ourRun[k], k == 0 ? "outputs" : "gradient of parameter " + (k - 1));
            }
        }
    }

    @Test
    void fewerHeadsKeepTheirSizeAndTheOutputKeepsTheEmbedding() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MultiHeadAttention three = new MultiHeadAttention(32, 3, 8);
            three.initialize(manager, DataType.FLOAT32, INPUT);
            ParameterList p = three.getParameters();
            assertEquals(new Shape(24, 32), p.get(0).getValue().getArray().getShape()); // keys
            assertEquals(new Shape(24), p.get(1).getValue().getArray().getShape());
            assertEquals(new Shape(24, 32), p.get(4).getValue().getArray().getShape()); // values
            assertEquals(new Shape(32, 24), p.get(6).getValue().getArray().getShape()); // result
            assertEquals(new Shape(32), p.get(7).getValue().getArray().getShape());
            NDArray out = three.forward(new ParameterStore(manager, false),
                    new NDList(manager.randomNormal(INPUT)), false).singletonOrThrow();
            assertEquals(INPUT, out.getShape());
        }
    }

    /** The outputs, then each parameter's gradient of the outputs' weighted sum, after a training forward pass. */
    private static float[][] run(AbstractBlock block, NDManager manager, float[] x) {
        ParameterList params = block.getParameters();
        float[][] result = new float[params.size() + 1][];
        try (NDManager scope = manager.newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray input = scope.create(x, INPUT);
            NDArray out = block.forward(new ParameterStore(scope, false), new NDList(input), true)
                    .singletonOrThrow();
            result[0] = out.toFloatArray();
            NDArray weights = scope.arange((float) out.size()).reshape(out.getShape()).div(out.size());
            collector.backward(out.mul(weights).sum());
            for (int i = 0; i < params.size(); i++) {
                result[i + 1] = params.get(i).getValue().getArray().getGradient().toFloatArray();
            }
        }
        return result;
    }
}
