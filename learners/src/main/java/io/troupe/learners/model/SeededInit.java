package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.ConstantInitializer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Parameter values drawn from a job's seeded Java random stream, never from the engine's process-wide generator: two
 * models built from the same seed get the same parameters whatever other threads do with PyTorch's generator, and
 * building one leaves that generator alone. The distributions are DJL's defaults (Xavier-uniform weights, zero biases
 * and betas, unit gammas) and a normal for learned embeddings.
 */
final class SeededInit {
    private SeededInit() {
    }

    /** Makes {@code block}'s {@code initialize} allocate zeros rather than draw from the engine's generator. */
    static void allocateWithoutDrawing(Block block) {
        block.setInitializer(new ConstantInitializer(0f), p -> true);
    }

    /** Writes DJL's default distribution for the parameter's type into it. */
    static void byType(Parameter parameter, SplittableRandom rng) {
        NDArray a = parameter.getArray();
        long[] shape = a.getShape().getShape();
        float[] values = switch (parameter.getType()) {
            case WEIGHT -> shape.length >= 2 ? xavierUniform(shape, rng) : new float[(int) a.size()];
            case GAMMA, RUNNING_VAR -> filled((int) a.size(), 1f);
            default -> new float[(int) a.size()];
        };
        InPlace.copy(a, values);
    }

    /** Writes values drawn from N(0, std^2) into the parameter. */
    static void normal(Parameter parameter, double std, SplittableRandom rng) {
        NDArray a = parameter.getArray();
        float[] values = new float[(int) a.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rng.nextGaussian() * std);
        }
        InPlace.copy(a, values);
    }

    /**
     * DJL's {@code XavierInitializer()}: uniform in {@code [-s, s]} with {@code s = sqrt(6 / ((fanIn + fanOut) / 2))},
     * the fans scaled by the receptive field (every dimension after the first two).
     */
    static float[] xavierUniform(long[] shape, SplittableRandom rng) {
        long size = 1;
        for (long d : shape) {
            size *= d;
        }
        double receptive = (double) size / (shape[0] * shape[1]);
        double fanIn = shape[1] * receptive;
        double fanOut = shape[0] * receptive;
        double scale = Math.sqrt(6.0 / ((fanIn + fanOut) / 2));
        float[] values = new float[(int) size];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (scale * (2 * rng.nextDouble() - 1));
        }
        return values;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
