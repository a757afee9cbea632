package io.troupe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CategoricalTest {
    @Test
    void samplesInProportionToSoftmaxAndLeavesTheProbabilities() {
        float[] logits = {0f, (float) Math.log(3), 99f, 99f}; // the row at offset 0 of length 2: p = [0.25, 0.75]
        double[] probs = new double[2];
        SplittableRandom rng = new SplittableRandom(5);
        int ones = 0;
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            ones += Categorical.sample(logits, 0, 2, probs, rng);
        }
        assertEquals(0.25, probs[0], 1e-6); // ln 3 as a float
        assertEquals(0.75, probs[1], 1e-6);
        assertEquals(0.75, (double) ones / n, 0.01); // about 4.6 standard deviations
        assertEquals(1, Categorical.argmax(logits, 0, 2));
        assertEquals(0, Categorical.argmax(logits, 2, 2), "ties go to the first");
    }
}
