package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.typesafe.config.ConfigFactory;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoLosses;
import org.junit.jupiter.api.Test;

/**
 * {@code troupe.ppo.entropy-floor}: a hinge on the minibatch's mean entropy that adds {@code entropy-floor-coef} times
 * the shortfall below the floor to PPO's loss and nothing above it.
 */
class EntropyFloorTest {
    /** ModelTest's hand-computed minibatch: entropy (ln 2 + 0.5623351446) / 2 = 0.6277. */
    private static final double ENTROPY = (Math.log(2) + 0.5623351446) / 2;

    private static PpoConfig config(double entCoef, double floor, double floorCoef) {
        return new PpoConfig(4, 128, 2.5e-4, true, 0.99, 0.95, 4, 4, true, 0.2, true, entCoef, 0.5, 0.5, 500_000, 0,
                floor, floorCoef);
    }

    /** The loss of the hand-computed minibatch under {@code c}, and its gradient with respect to the logits. */
    private static float[][] lossAndGradient(PpoConfig c) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {0f, 0f, (float) Math.log(3), 0f}, new Shape(2, 2));
            logits.setRequiresGradient(true);
            float loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                PpoLosses.Losses l = PpoLosses.compute(logits, m.create(new float[] {1, 2}),
                        m.create(new int[] {0, 1}), m.create(new float[] {(float) Math.log(0.25),
                                (float) Math.log(0.5)}), m.create(new float[] {0.5f, 2.5f}),
                        m.create(new float[] {1, -1}), m.create(new float[] {2, 1}), c);
                assertEquals(ENTROPY, l.entropy().getFloat(), 1e-5);
                loss = l.loss().getFloat();
                gc.backward(l.loss());
            }
            return new float[][] {{loss}, logits.getGradient().toFloatArray()};
        }
    }

    @Test
    void belowTheFloorTheLossPaysTheShortfall() {
        double base = lossAndGradient(config(0.01, 0, 0.1))[0][0];
        assertEquals(-0.2 - 0.01 * ENTROPY + 0.5 * 0.845, base, 1e-5, "ModelTest's figure without a floor");
        assertEquals(base + 0.1 * (1.0 - ENTROPY), lossAndGradient(config(0.01, 1.0, 0.1))[0][0], 1e-5);
        assertEquals(base + 0.3 * (0.9 - ENTROPY), lossAndGradient(config(0.01, 0.9, 0.3))[0][0], 1e-5);
        assertEquals(base, lossAndGradient(config(0.01, 0.5, 0.1))[0][0], 1e-6, "above the floor nothing changes");
    }

    @Test
    void belowTheFloorTheEntropysWeightGrowsByTheCoefficient() {
        // d/dθ [-0.01 H + 0.1 (1 - H)] = -0.11 dH/dθ: the gradient of a plain entropy bonus of 0.11
        float[] floored = lossAndGradient(config(0.01, 1.0, 0.1))[1];
        float[] plain = lossAndGradient(config(0.11, 0, 0.1))[1];
        float[] base = lossAndGradient(config(0.01, 0, 0.1))[1];
        assertArrayEquals(plain, floored, 1e-6f);
        double moved = 0;
        for (int i = 0; i < base.length; i++) {
            moved = Math.max(moved, Math.abs(floored[i] - base[i]));
        }
        assertTrue(moved > 1e-3, "the floor changed the gradient: " + moved);
        assertArrayEquals(base, lossAndGradient(config(0.01, 0.5, 0.1))[1], 1e-7f, "above the floor: unchanged");
    }

    @Test
    void theSettingsAreReadAndCheckedByName() {
        PpoConfig defaults = PpoConfig.fromConfig(ConfigFactory.defaultReference().getConfig("troupe.ppo"));
        assertEquals(0, defaults.entropyFloor(), "off by default");
        assertEquals(PpoConfig.DEFAULT_ENTROPY_FLOOR_COEF, defaults.entropyFloorCoef());
        assertEquals(0.3, PpoConfig.fromConfig(ConfigFactory.parseString("entropy-floor = 0.3")
                .withFallback(ConfigFactory.defaultReference().getConfig("troupe.ppo"))).entropyFloor());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> config(0.01, -0.1, 0.1));
        assertTrue(bad.getMessage().contains("troupe.ppo.entropy-floor must be in [0.0, 10.0], got -0.1"),
                bad.getMessage());
        bad = assertThrows(IllegalArgumentException.class, () -> config(0.01, 0.3, -1));
        assertTrue(bad.getMessage().contains("troupe.ppo.entropy-floor-coef"), bad.getMessage());
    }
}
