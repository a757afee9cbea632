package io.troupe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Text;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ObservationBatchTest {
    @Test
    void rowsRoundTripPerModality() {
        Dict space = Dict.of("image", Box.image(3, 4, 4), "mission", Text.of(3, List.of("a", "b")),
                "state", Box.uniform(-1, 1, DType.FLOAT32, 2));
        ObservationBatch batch = ObservationBatch.forSpace(space, 5);
        SplittableRandom rng = new SplittableRandom(1);
        Observation[] obs = new Observation[5];
        for (int r = 0; r < 5; r++) {
            obs[r] = space.sample(rng);
            batch.write(r, obs[r]);
        }
        for (int r = 0; r < 5; r++) {
            assertEquals(obs[r], batch.read(r));
        }
        assertEquals(5 * 48, batch.bytes(batch.indexOf("image")).length);
        assertEquals(5 * 3, batch.ints(batch.indexOf("mission")).length);
        ObservationBatch other = ObservationBatch.forSpace(space, 2);
        batch.copyRow(3, other, 1);
        assertEquals(obs[3], other.read(1));
    }

    @Test
    void singleTensorSpacesUseOneModality() {
        ObservationBatch batch = ObservationBatch.forSpace(Box.uniform(0, 1, DType.FLOAT32, 4), 2);
        assertEquals(1, batch.modalities().size());
        assertEquals(Observation.SINGLE, batch.modalities().get(0).name());
        batch.write(1, Observation.of(FloatTensor.of(0.1f, 0.2f, 0.3f, 0.4f)));
        assertEquals(Observation.of(FloatTensor.of(0.1f, 0.2f, 0.3f, 0.4f)), batch.read(1));
        assertThrows(IllegalArgumentException.class, () -> batch.write(0, Observation.of(FloatTensor.of(1f))));
        assertThrows(IllegalArgumentException.class, () -> batch.indexOf("image"));
    }
}
