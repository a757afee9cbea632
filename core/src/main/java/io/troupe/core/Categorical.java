package io.troupe.core;

import java.util.random.RandomGenerator;

/** The categorical distribution of a row of logits: sampling (softmax) and the greedy choice (argmax). */
public final class Categorical {
    private Categorical() {
    }

    /**
     * Samples an action from softmax(logits[from .. from + n)) with {@code rng}; leaves the probabilities in
     * {@code probs} (length at least n) for the caller's log-probability.
     */
    public static int sample(float[] logits, int from, int n, double[] probs, RandomGenerator rng) {
        softmax(logits, from, n, probs);
        double u = rng.nextDouble();
        double cumulative = 0;
        for (int a = 0; a < n - 1; a++) {
            cumulative += probs[a];
            if (u < cumulative) {
                return a;
            }
        }
        return n - 1;
    }

    /**
     * Writes softmax(logits[from .. from + n)) into {@code probs} (length at least n), computed stably, and returns
     * the log of the normalizer, so that {@code log p(a) = logits[from + a] - result}.
     */
    public static double softmax(float[] logits, int from, int n, double[] probs) {
        double max = Double.NEGATIVE_INFINITY;
        for (int a = 0; a < n; a++) {
            max = Math.max(max, logits[from + a]);
        }
        double sum = 0;
        for (int a = 0; a < n; a++) {
            probs[a] = Math.exp(logits[from + a] - max);
            sum += probs[a];
        }
        for (int a = 0; a < n; a++) {
            probs[a] /= sum;
        }
        return max + Math.log(sum);
    }

    /** The most likely action of logits[from .. from + n) (the first on ties). */
    public static int argmax(float[] logits, int from, int n) {
        int best = 0;
        for (int a = 1; a < n; a++) {
            if (logits[from + a] > logits[from + best]) {
                best = a;
            }
        }
        return best;
    }
}
