package io.troupe.actors.acting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Box;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The unroll buffer: T recorded steps of K copies become K unrolls with every array in place. */
class UnrollBufferTest {
    private static final Box SPACE = Box.uniform(-1, 1, DType.FLOAT32, 2);

    /** Observations whose row e at step s holds (e, s). */
    private static ObservationBatch observations(int k, int s) {
        ObservationBatch b = ObservationBatch.forSpace(SPACE, k);
        for (int e = 0; e < k; e++) {
            b.floats(0)[e * 2] = e;
            b.floats(0)[e * 2 + 1] = s;
        }
        return b;
    }

    /** A step where copy e took action (e + s) % 3 with recognisable numbers. */
    private static ActingStep.Acted acted(int k, int s) {
        int[] actions = new int[k];
        float[] logProbs = new float[k];
        float[] values = new float[k];
        float[] logits = new float[k * 3];
        float[] rewards = new float[k];
        boolean[] terminated = new boolean[k];
        boolean[] truncated = new boolean[k];
        float[] truncationValues = new float[k];
        for (int e = 0; e < k; e++) {
            actions[e] = (e + s) % 3;
            logProbs[e] = -0.1f * (s + 1);
            values[e] = 10 * e + s;
            logits[e * 3 + actions[e]] = 1f + s;
            rewards[e] = s + 0.5f * e;
            terminated[e] = s == 1 && e == 0;
            truncated[e] = s == 2 && e == 1;
            truncationValues[e] = truncated[e] ? 7f : 0f;
        }
        return new ActingStep.Acted(actions, logProbs, values, logits, 3, rewards, terminated, truncated,
                truncationValues);
    }

    private static float[] row(Unroll u, int s) {
        return Arrays.copyOfRange(u.observations().floats(0), s * 2, s * 2 + 2);
    }

    @Test
    void tStepsOfKCopiesBecomeKUnrolls() {
        int k = 2;
        int t = 3;
        UnrollBuffer buffer = new UnrollBuffer(SPACE, k, t, 3);
        for (int s = 0; s < t; s++) {
            assertEquals(s, buffer.step());
            assertFalse(buffer.full());
            buffer.observe(observations(k, s));
            buffer.record(acted(k, s), new long[] {s == 1 ? 4 : 5, 6}); // copy 0 saw an older reward version once
        }
        assertTrue(buffer.full());
        List<Unroll> unrolls = buffer.drain("agent-1", 10, 3, observations(k, t));
        assertEquals(k, unrolls.size());
        assertEquals(0, buffer.step(), "the next unrolls start");
        for (int e = 0; e < k; e++) {
            Unroll u = unrolls.get(e);
            assertEquals("agent-1", u.producerId());
            assertEquals(10 + e, u.sequence());
            assertEquals(3, u.policyVersion());
            assertEquals(e == 0 ? 4 : 6, u.rewardVersion(), "the oldest reward version of its steps");
            assertEquals(t, u.length());
            for (int s = 0; s <= t; s++) {
                assertArrayEquals(new float[] {e, s}, row(u, s),
                        "copy " + e + " row " + s);
            }
            for (int s = 0; s < t; s++) {
                ActingStep.Acted a = acted(k, s);
                assertEquals(a.actions()[e], u.discreteActions()[s]);
                assertEquals(a.logProbs()[e], u.behaviourLogProbs()[s]);
                assertEquals(a.values()[e], u.values()[s]);
                assertEquals(a.rewards()[e], u.rewards()[s]);
                assertEquals(a.terminated()[e], u.terminated()[s]);
                assertEquals(a.truncated()[e], u.truncated()[s]);
                assertEquals(a.truncationValues()[e], u.truncationValues()[s]);
                assertEquals(1f + s, u.behaviourLogits()[s * 3 + a.actions()[e]]);
            }
        }
        // the next unrolls fill new arrays: the drained ones stay as they were
        Unroll first = unrolls.get(0);
        float[] rewards = first.rewards().clone();
        buffer.observe(observations(k, 9));
        buffer.record(acted(k, 9), new long[] {1, 1});
        assertArrayEquals(rewards, first.rewards());
        assertArrayEquals(new float[] {0, 0}, row(first, 0));
    }

    @Test
    void misuseIsRefusedWithWhatToDo() {
        UnrollBuffer buffer = new UnrollBuffer(SPACE, 2, 1, 3);
        assertThrows(IllegalStateException.class, () -> buffer.record(acted(2, 0), new long[2]), "observe first");
        assertThrows(IllegalStateException.class, () -> buffer.drain("a", 0, 0, observations(2, 0)), "not full");
        buffer.observe(observations(2, 0));
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> buffer.record(acted(3, 0), new long[3]));
        assertTrue(wrong.getMessage().contains("3 copies"), wrong.getMessage());
        buffer.record(acted(2, 0), new long[2]);
        assertThrows(IllegalStateException.class, () -> buffer.observe(observations(2, 1)), "full: drain first");
    }
}
