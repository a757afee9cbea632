package io.troupe.learners.parallel;

import java.util.Locale;

/**
 * What one device needs to train its part of a model, in bytes, estimated before anything is allocated (float32
 * everywhere): its parameters, their gradients, Adam's two moments per parameter, and the activations a training
 * step keeps for its backward pass.
 *
 * @param parameters     the parameters' values
 * @param gradients      one gradient per parameter
 * @param optimizerState Adam's first and second moments (twice the parameters)
 * @param activations    what the forward pass keeps for backward, plus one micro-batch's backward workspace
 */
public record MemoryEstimate(long parameters, long gradients, long optimizerState, long activations) {
    public static final MemoryEstimate ZERO = new MemoryEstimate(0, 0, 0, 0);

    public long total() {
        return parameters + gradients + optimizerState + activations;
    }

    /** The needs of two parts placed on the same device. */
    public MemoryEstimate plus(MemoryEstimate o) {
        return new MemoryEstimate(parameters + o.parameters, gradients + o.gradients,
                optimizerState + o.optimizerState, activations + o.activations);
    }

    /** "1.6 GiB (parameters 400.0 MiB + gradients 400.0 MiB + Adam state 800.0 MiB + activations 12.0 MiB)". */
    public String describe() {
        return bytes(total()) + " (parameters " + bytes(parameters) + " + gradients " + bytes(gradients)
                + " + Adam state " + bytes(optimizerState) + " + activations " + bytes(activations) + ")";
    }

    /** A byte count in binary units, as the config's size strings write them. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
