package io.troupe.serving.model;

import io.troupe.core.Categorical;
import io.troupe.serving.batch.Inference;
import java.util.random.RandomGenerator;

/**
 * One row's answer: the action (the most likely one when deterministic, else drawn from the softmax), with the
 * probabilities, value and log-probability for whoever asked for them.
 */
public record Decision(int action, double[] probs, float value, double logp) {

    /** The decision for row {@code row} of {@code inference}; {@code rng} is used only when not deterministic. */
    public static Decision of(Inference inference, int row, boolean deterministic, RandomGenerator rng) {
        int n = inference.actions();
        float[] logits = inference.logits();
        int from = row * n;
        double[] probs = new double[n];
        double logNormalizer = Categorical.softmax(logits, from, n, probs);
        int action = deterministic ? Categorical.argmax(logits, from, n)
                : Categorical.sample(logits, from, n, new double[n], rng);
        double logp = logits[from + action] - logNormalizer;
        return new Decision(action, probs, inference.values()[row], logp);
    }
}
