package io.troupe.serving.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import org.junit.jupiter.api.Test;

/** Cutting a batch into messages between stages, and putting the last stage's answers back together. */
class ChunksTest {

    @Test
    void rowsPerMessageStaysUnderTheLimitAndARowOverItIsRefusedNamingTheKey() {
        assertEquals(4, Chunks.rowsPerMessage(4736, 19_000));
        assertEquals(1, Chunks.rowsPerMessage(19_000, 19_000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Chunks.rowsPerMessage(20_000, 19_000));
        assertTrue(e.getMessage().contains("troupe.serving.pipeline.message-bytes"), e.getMessage());
    }

    @Test
    void partsInAnyOrderMakeTheWholeAnswer() {
        Chunks.Assembly a = new Chunks.Assembly(5, 2);
        assertFalse(a.add(3, new float[] {6, 7, 8, 9}, new float[] {3, 4}));
        assertFalse(a.add(0, new float[] {0, 1, 2, 3}, new float[] {0, 1}));
        assertTrue(a.add(2, new float[] {4, 5}, new float[] {2}));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, a.logits());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4}, a.values());
        assertThrows(IllegalArgumentException.class, () -> a.add(4, new float[] {0, 0, 0, 0}, new float[] {0, 0}));
    }

    @Test
    void rowsOfABatchAreCopiedInOrder() {
        ObservationBatch b = ObservationBatch.forSpace(Box.uniform(-1, 1, DType.FLOAT32, 2), 4);
        for (int r = 0; r < 4; r++) {
            b.floats(0)[2 * r] = r;
            b.floats(0)[2 * r + 1] = -r;
        }
        ObservationBatch mid = Chunks.rows(b, 1, 3);
        assertArrayEquals(new float[] {1, -1, 2, -2}, mid.floats(0));
        assertSame(b, Chunks.rows(b, 0, 4));
    }
}
