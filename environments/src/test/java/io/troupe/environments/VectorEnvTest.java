package io.troupe.environments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.Action;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.StepResult;
import io.troupe.core.space.Discrete;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VectorEnvTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();

    /** Every copy of the vector env behaves exactly as a single env seeded with seed + i and given the same actions. */
    @Test
    void copiesMatchSingleEnvsIncludingAutoReset() {
        for (String id : List.of("CartPole-v1", "GoToObject-v0")) {
            int k = 4;
            VectorEnv vec = VectorEnv.of(() -> REGISTRY.make(id), k);
            List<Env> singles = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                singles.add(REGISTRY.make(id));
                singles.get(i).reset(100 + i);
            }
            vec.reset(100);
            for (int i = 0; i < k; i++) {
                assertEquals(singles.get(i).reset(100 + i), vec.observations().read(i));
            }
            SplittableRandom rng = new SplittableRandom(9);
            int n = ((Discrete) vec.spec().actionSpace()).n();
            int dones = 0;
            for (int step = 0; step < 300; step++) {
                int[] actions = new int[k];
                for (int i = 0; i < k; i++) {
                    actions[i] = rng.nextInt(n);
                }
                vec.step(actions);
                for (int i = 0; i < k; i++) {
                    StepResult r = singles.get(i).step(Action.discrete(actions[i]));
                    assertEquals(r.reward(), vec.rewards()[i], id + " reward");
                    assertEquals(r.terminated(), vec.terminated()[i]);
                    assertEquals(r.truncated(), vec.truncated()[i]);
                    if (r.done()) {
                        dones++;
                        assertEquals(r.observation(), vec.finalObservations().read(i), id + " final observation");
                        Observation next = singles.get(i).reset();
                        assertEquals(next, vec.observations().read(i), id + " auto-reset observation");
                    } else {
                        assertEquals(r.observation(), vec.observations().read(i));
                    }
                }
            }
            assertTrue(dones > 5, id + ": episodes ended " + dones + " times");
        }
    }

    @Test
    void episodeListenerReportsReturnsAndLengths() {
        VectorEnv vec = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), 3);
        List<double[]> episodes = new ArrayList<>();
        vec.setEpisodeListener((i, ret, len, term, success) -> episodes.add(new double[] {i, ret, len}));
        vec.reset(0);
        for (int s = 0; s < 200; s++) {
            vec.step(new int[] {1, 1, 1}); // always push right: falls within a few dozen steps
        }
        assertTrue(episodes.size() >= 6);
        for (double[] e : episodes) {
            assertEquals(e[2], e[1], "CartPole return = length");
            assertTrue(e[2] >= 5 && e[2] < 100);
        }
    }

    @Test
    void observationsAreContiguousPerModality() {
        VectorEnv vec = VectorEnv.of(() -> REGISTRY.make("GoToObject-v0"), 8);
        vec.reset(1);
        assertEquals(8 * 3 * 30 * 30, vec.observations().bytes(0).length);
        assertEquals(8 * 5, vec.observations().ints(1).length);
        assertEquals(8 * 6, vec.observations().floats(2).length, "state: 6 floats per copy");
        VectorEnv cp = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), 2);
        cp.reset(5);
        float[] row1 = ((FloatTensor) REGISTRY.make("CartPole-v1").reset(6).single()).data();
        float[] all = cp.observations().floats(0);
        assertArrayEquals(row1, Arrays.copyOfRange(all, 4, 8));
    }

    @Test
    void misuseFailsClearly() {
        VectorEnv vec = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), 2);
        IllegalStateException notReset = assertThrows(IllegalStateException.class, () -> vec.step(new int[] {0, 1}));
        assertTrue(notReset.getMessage().contains("before reset"));
        vec.reset(0);
        IllegalArgumentException wrongCount = assertThrows(IllegalArgumentException.class, () -> vec.step(new int[] {0}));
        assertTrue(wrongCount.getMessage().contains("expected 2"), wrongCount.getMessage());
        IllegalArgumentException badAction = assertThrows(IllegalArgumentException.class,
                () -> vec.step(new int[] {0, 7}));
        assertTrue(badAction.getMessage().contains("Discrete(7)") && badAction.getMessage().contains("Discrete(2)"),
                badAction.getMessage());
        assertThrows(IllegalArgumentException.class, () -> vec.step(new float[] {0f, 1f}));
    }
}
