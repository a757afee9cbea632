package io.troupe.core.experience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExperienceBatchTest {
    private static Unroll unroll(long seq, int length, int obsSize) {
        ObservationBatch obs = ObservationBatch.forSpace(Box.uniform(0, 1, DType.FLOAT32, obsSize), length + 1);
        return new Unroll("p", seq, obs, new int[length], new float[0], new float[length], new boolean[length],
                new boolean[length], new float[0], new float[length], new float[0], 0, 0);
    }

    @Test
    void splitKeepsEveryBatchUnderTheBudgetAndEveryItemInOrder() {
        List<Unroll> items = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            items.add(unroll(i, 32, 64)); // about 8.6 KB each
        }
        long budget = 40_000;
        List<ExperienceBatch> batches = ExperienceBatch.split(items, budget);
        assertTrue(batches.size() >= 10, batches.size() + " batches");
        List<ReplayItem> all = new ArrayList<>();
        for (ExperienceBatch b : batches) {
            assertTrue(b.estimatedBytes() <= budget, b.estimatedBytes() + " bytes");
            all.addAll(b.items());
        }
        assertEquals(items, all);
    }

    @Test
    void anItemLargerThanTheBudgetIsRefusedWithAHint() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExperienceBatch.split(List.of(unroll(0, 128, 1000)), 196_608));
        assertTrue(e.getMessage().contains("troupe.agent.unroll-length") && e.getMessage().contains("maximum-frame-size"),
                e.getMessage());
    }

    @Test
    void unrollArraysMustAgree() {
        ObservationBatch obs = ObservationBatch.forSpace(Box.uniform(0, 1, DType.FLOAT32, 2), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Unroll("p", 0, obs,
                new int[3], new float[0], new float[3], new boolean[3], new boolean[2], new float[0], new float[3],
                new float[0], 0, 0));
        assertTrue(e.getMessage().contains("length 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Unroll("p", 0, obs, new int[4], new float[0],
                new float[4], new boolean[4], new boolean[4], new float[0], new float[4], new float[0], 0, 0));
    }
}
