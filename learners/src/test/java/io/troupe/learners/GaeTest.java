package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.learners.ppo.Gae;
import org.junit.jupiter.api.Test;

class GaeTest {
    /**
     * One env, 3 steps, gamma 0.5, lambda 0.5, values [1, 2, 3], last value 4, rewards [1, 1, 1]:
     * delta_2 = 1 + 0.5*4 - 3 = 0; delta_1 = 1 + 0.5*3 - 2 = 0.5; delta_0 = 1 + 0.5*2 - 1 = 1;
     * A_2 = 0; A_1 = 0.5 + 0.25*0 = 0.5; A_0 = 1 + 0.25*0.5 = 1.125.
     */
    @Test
    void advantagesByHand() {
        float[] adv = new float[3];
        float[] ret = new float[3];
        Gae.compute(new float[] {1, 1, 1}, new float[] {1, 2, 3}, new boolean[3], new boolean[3], new float[3],
                new float[] {4}, 1, 0.5, 0.5, adv, ret);
        assertArrayEquals(new float[] {1.125f, 0.5f, 0f}, adv, 1e-6f);
        assertArrayEquals(new float[] {2.125f, 2.5f, 3f}, ret, 1e-6f);
    }

    /** A terminal step does not bootstrap; a truncated one bootstraps from its final observation's value (7). */
    @Test
    void terminationAndTruncationCutTheChainDifferently() {
        float[] adv = new float[2];
        float[] ret = new float[2];
        Gae.compute(new float[] {1, 1}, new float[] {1, 2}, new boolean[] {true, false}, new boolean[2], new float[2],
                new float[] {4}, 1, 0.5, 1.0, adv, ret);
        // delta_1 = 1 + 0.5*4 - 2 = 1 -> A_1 = 1; delta_0 = 1 + 0 - 1 = 0 and the chain stops -> A_0 = 0
        assertArrayEquals(new float[] {0f, 1f}, adv, 1e-6f);

        Gae.compute(new float[] {1, 1}, new float[] {1, 2}, new boolean[2], new boolean[] {true, false},
                new float[] {7, 0}, new float[] {4}, 1, 0.5, 1.0, adv, ret);
        // delta_0 = 1 + 0.5*7 - 1 = 3.5 (bootstrap from the final observation, not from V(x_1)); chain stops
        assertArrayEquals(new float[] {3.5f, 1f}, adv, 1e-6f);
    }

    @Test
    void twoEnvsInterleavedTimeMajor() {
        float[] adv = new float[4];
        float[] ret = new float[4];
        // env 0 gets reward 1 at both steps, env 1 gets 0; values 0; gamma 1, lambda 1; last values 0
        Gae.compute(new float[] {1, 0, 1, 0}, new float[4], new boolean[4], new boolean[4], new float[4],
                new float[2], 2, 1.0, 1.0, adv, ret);
        assertArrayEquals(new float[] {2, 0, 1, 0}, adv, 1e-6f);
        assertEquals(1.0, Gae.explainedVariance(new float[] {1, 2, 3}, new float[] {1, 2, 3}), 1e-12);
    }
}
