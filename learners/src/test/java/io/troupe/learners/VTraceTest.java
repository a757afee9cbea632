package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.learners.impala.VTrace;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VTraceTest {

    /** The paper's definition (eq. 1), summed directly in doubles: v_s = V(x_s) + sum_t (prod c) * delta_t. */
    private static double[] direct(float[] logRhos, float[] discounts, float[] rewards, float[] values, float bootstrap,
                                   double rhoBar, double cBar, double lambda) {
        int n = rewards.length;
        double[] vs = new double[n];
        for (int s = 0; s < n; s++) {
            double sum = 0;
            double coef = 1;
            for (int t = s; t < n; t++) {
                double ratio = Math.exp(logRhos[t]);
                double next = t == n - 1 ? bootstrap : values[t + 1];
                double delta = Math.min(rhoBar, ratio) * (rewards[t] + discounts[t] * next - values[t]);
                sum += coef * delta;
                coef *= discounts[t] * lambda * Math.min(cBar, ratio);
            }
            vs[s] = values[s] + sum;
        }
        return vs;
    }

    @Test
    void onPolicyTargetsAreDiscountedReturnsByHand() {
        // T = 2, r = [1, 2], gamma = 0.5, V = 0, bootstrap V(x_2) = 4, on-policy (rho = c = 1):
        // v_1 = 2 + 0.5 * 4 = 4; v_0 = 1 + 0.5 * v_1 = 3; pg advantages: r_s + gamma v_{s+1} - V(x_s) = [3, 4]
        VTrace.Result r = VTrace.compute(new float[2], new float[] {0.5f, 0.5f}, new float[] {1, 2}, new float[2], 4f,
                1, 1, 1, 1);
        assertArrayEquals(new float[] {3, 4}, r.vs(), 1e-6f);
        assertArrayEquals(new float[] {3, 4}, r.pgAdvantages(), 1e-6f);
    }

    @Test
    void recursionMatchesThePapersSumOffPolicyWithTruncation() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + rng.nextInt(20);
            float[] logRhos = new float[n];
            float[] discounts = new float[n];
            float[] rewards = new float[n];
            float[] values = new float[n];
            for (int t = 0; t < n; t++) {
                logRhos[t] = (float) (rng.nextGaussian() * 0.8);
                discounts[t] = rng.nextInt(8) == 0 ? 0f : 0.97f; // some terminal steps
                rewards[t] = (float) rng.nextGaussian();
                values[t] = (float) rng.nextGaussian();
            }
            float bootstrap = (float) rng.nextGaussian();
            double rhoBar = 0.5 + rng.nextDouble();
            double cBar = 0.5 + rng.nextDouble();
            double lambda = 0.8 + 0.2 * rng.nextDouble();
            VTrace.Result r = VTrace.compute(logRhos, discounts, rewards, values, bootstrap, rhoBar, cBar, 1.0, lambda);
            double[] expected = direct(logRhos, discounts, rewards, values, bootstrap, rhoBar, cBar, lambda);
            for (int s = 0; s < n; s++) {
                assertEquals(expected[s], r.vs()[s], 1e-4, "trial " + trial + " step " + s);
                double next = s == n - 1 ? bootstrap : expected[s + 1];
                double pg = Math.min(1.0, Math.exp(logRhos[s])) * (rewards[s] + discounts[s] * next - values[s]);
                assertEquals(pg, r.pgAdvantages()[s], 1e-4);
            }
        }
    }
}
