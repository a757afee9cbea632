package io.troupe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SpacesTest {
    private final SplittableRandom rng = new SplittableRandom(42);

    @Test
    void discreteContainsIndicesAndActions() {
        Discrete d = new Discrete(3);
        assertTrue(d.contains(0) && d.contains(2) && d.contains(Action.discrete(1)));
        assertFalse(d.contains(3) || d.contains(-1) || d.contains(Action.continuous(1f)) || d.contains("1"));
        assertTrue(d.violation(3).orElseThrow().contains("0..2"));
        for (int i = 0; i < 100; i++) {
            assertTrue(d.contains(d.sample(rng)));
        }
        assertEquals("Discrete(3)", d.describe());
        assertThrows(IllegalArgumentException.class, () -> new Discrete(0));
    }

    @Test
    void boxChecksDtypeShapeAndBounds() {
        Box box = Box.float32(new float[] {-1, Float.NEGATIVE_INFINITY}, new float[] {1, Float.POSITIVE_INFINITY});
        assertTrue(box.contains(FloatTensor.of(0.5f, 1e30f)));
        assertFalse(box.contains(FloatTensor.of(1.5f, 0f)));
        assertFalse(box.contains(FloatTensor.of(Float.NaN, 0f)), "NaN is never inside");
        assertFalse(box.contains(FloatTensor.of(0f)), "shape");
        assertFalse(box.contains(new IntTensor(new int[] {2}, new int[2])), "dtype");
        assertTrue(box.violation(FloatTensor.of(1.5f, 0f)).orElseThrow().contains("element 0 = 1.5"));
        assertTrue(box.contains(Action.continuous(0f, 3f)));
        for (int i = 0; i < 200; i++) {
            assertTrue(box.contains(box.sample(rng)));
        }
        Box img = Box.image(3, 4, 4);
        Tensor sample = img.sample(rng);
        assertEquals(DType.UINT8, sample.dtype());
        assertTrue(img.contains(sample));
        assertEquals("Box(uint8, [3, 4, 4], 0..255)", img.describe());
        assertThrows(IllegalArgumentException.class, () -> Box.uniform(2, 1, DType.FLOAT32, 2));
        assertThrows(IllegalArgumentException.class, () -> Box.uniform(0, 300, DType.UINT8, 2));
    }

    @Test
    void textEncodesPadsAndRejectsUnknownWords() {
        Text text = Text.of(5, List.of("go", "to", "the", "red", "ball"));
        int[] ids = text.encode("Go to the red ball");
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, ids);
        assertArrayEquals(new int[] {1, 2, 0, 0, 0}, text.encode("go to"));
        assertEquals("go to", text.decode(new int[] {1, 2, 0, 0, 0}));
        assertTrue(text.contains(IntTensor.of(ids)));
        assertFalse(text.contains(IntTensor.of(1, 2, 3, 4, 9)));
        assertFalse(text.contains(IntTensor.of(1, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> text.encode("go to the box"));
        assertTrue(e.getMessage().contains("'box'"), e.getMessage());
        assertTrue(text.contains(text.sample(rng)));
    }

    @Test
    void dictContainsObservationsWithExactlyItsModalities() {
        Dict dict = Dict.of("image", Box.image(3, 2, 2), "state", Box.uniform(0, 1, DType.FLOAT32, 2));
        Observation ok = Observation.of(Map.of("image", Tensor.zeros(DType.UINT8, 3, 2, 2),
                "state", FloatTensor.of(0.5f, 1f)));
        assertTrue(dict.contains(ok));
        Observation missing = Observation.of(Map.of("image", Tensor.zeros(DType.UINT8, 3, 2, 2)));
        assertTrue(dict.violation(missing).orElseThrow().contains("[image, state]"));
        Observation bad = Observation.of(Map.of("image", Tensor.zeros(DType.UINT8, 3, 2, 2),
                "state", FloatTensor.of(0.5f, 2f)));
        assertTrue(dict.violation(bad).orElseThrow().startsWith("'state'"));
        assertTrue(dict.contains(dict.sample(rng)));
        assertTrue(dict.describe().startsWith("Dict(image: Box(uint8"));
        assertThrows(IllegalArgumentException.class, () -> Dict.of("a", new Discrete(2)));
    }

    @Test
    void nonDictSpacesTakeSingleTensorObservations() {
        Space box = Box.uniform(0, 1, DType.FLOAT32, 2);
        assertTrue(box.observationViolation(Observation.of(FloatTensor.of(0f, 1f))).isEmpty());
        assertTrue(box.observationViolation(Observation.of(Map.of("a", FloatTensor.of(0f, 1f),
                "b", FloatTensor.of(0f, 1f)))).isPresent());
    }

    @Test
    void tensorsCompareByContentAndCheckTheirSize() {
        assertEquals(FloatTensor.of(1f, 2f), FloatTensor.of(1f, 2f));
        assertEquals(FloatTensor.of(1f, 2f).hashCode(), FloatTensor.of(1f, 2f).hashCode());
        assertFalse(FloatTensor.of(1f, 2f).equals(new FloatTensor(new int[] {2, 1}, new float[] {1f, 2f})));
        assertThrows(IllegalArgumentException.class, () -> new ByteTensor(new int[] {2, 2}, new byte[3]));
        assertEquals(200.0, new ByteTensor(new int[] {1}, new byte[] {(byte) 200}).getDouble(0));
    }

    @Test
    void envIdsMustBeVersioned() {
        EnvSpec.checkId("CartPole-v1");
        EnvSpec.checkId("acme/Maze-v12");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EnvSpec.checkId("CartPole"));
        assertTrue(e.getMessage().contains("Name-vN"));
    }
}
