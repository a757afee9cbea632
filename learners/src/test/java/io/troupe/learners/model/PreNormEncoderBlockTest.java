package io.troupe.learners.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.ParameterList;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * {@link PreNormEncoderBlock#forwardFirstToken} is the block's output at the first token, and trains the same: its
 * output and every parameter's gradient of a loss on the first token equal those of the whole block's forward pass
 * (only the feed-forward work on the other tokens, which nothing reads, is left out).
 */
class PreNormEncoderBlockTest {
    private static final Shape INPUT = new Shape(3, 7, 32);
    private static final float TOLERANCE = 1e-5f;

    @Test
    void theFirstTokensOutputAndGradientsEqualTheWholeBlocks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PreNormEncoderBlock block = new PreNormEncoderBlock(32, 4, 8, 64);
            block.initialize(manager, DataType.FLOAT32, INPUT);
            // LayerNorm's gamma and beta start at 1 and 0: give them values, so the test sees them per token
            SplittableRandom rng = new SplittableRandom(3);
            for (var p : block.getParameters()) {
                NDArray a = p.getValue().getArray();
                float[] v = a.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) rng.nextGaussian() * 0.2f;
                }
                InPlace.copy(a, v);
            }
            float[] input = new float[(int) INPUT.size()];
            for (int i = 0; i < input.length; i++) {
                input[i] = (float) rng.nextGaussian();
            }
            NDArray x = manager.create(input, INPUT);
            float[][] whole = run(block, manager, x, (ps, in) -> block.forward(ps, new NDList(in), true)
                    .singletonOrThrow().get(":, 0:1, :"));
            float[][] first = run(block, manager, x, (ps, in) -> block.forwardFirstToken(ps, in, true));
            assertEquals(whole.length, first.length);
            assertEquals(3 * 32, first[0].length, "one token of 32 per row");
            for (int k = 0; k < whole.length; k++) {
                String what = k == 0 ? "output" : "gradient of " + block.getParameters().get(k - 1).getKey();
                assertEquals(whole[k].length, first[k].length, what);
                float worst = 0;
                float largest = 0;
                for (int i = 0; i < whole[k].length; i++) {
                    worst = Math.max(worst, Math.abs(whole[k][i] - first[k][i]));
                    largest = Math.max(largest, Math.abs(whole[k][i]));
                }
                assertTrue(largest > 0, what + " is all zeros: the comparison would say nothing");
                assertTrue(worst <= TOLERANCE * Math.max(1, largest), what + ": max difference " + worst);
            }
        }
    }

    /** The first token's output (B, 1, E), then each parameter's gradient of its weighted sum. */
    private static float[][] run(PreNormEncoderBlock block, NDManager manager, NDArray x,
                                 BiFunction<ParameterStore, NDArray, NDArray> forward) {
        ParameterList params = block.getParameters();
        float[][] result = new float[params.size() + 1][];
        try (NDManager scope = manager.newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray out = forward.apply(new ParameterStore(scope, false), x.duplicate());
            assertEquals(new Shape(3, 1, 32), out.getShape());
            result[0] = out.toFloatArray();
            NDArray weights = scope.arange((float) out.size()).reshape(out.getShape()).div(out.size()).sub(0.4f);
            collector.zeroGradients(); // gradients add up across backward passes: each run sees its own
            collector.backward(out.mul(weights).sum());
            for (int i = 0; i < params.size(); i++) {
                result[i + 1] = params.get(i).getValue().getArray().getGradient().toFloatArray();
            }
        }
        return result;
    }
}
