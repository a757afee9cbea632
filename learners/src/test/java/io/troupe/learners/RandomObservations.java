package io.troupe.learners;

import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Tensor;
import io.troupe.core.space.Dict;
import java.util.SplittableRandom;

/** Observations sampled from a spec's observation space, for model tests. */
final class RandomObservations {
    private RandomObservations() {
    }

    static ObservationBatch batch(EnvSpec spec, int rows, long seed) {
        ObservationBatch b = ObservationBatch.forSpace(spec.observationSpace(), rows);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int r = 0; r < rows; r++) {
            b.write(r, spec.observationSpace() instanceof Dict d ? d.sample(rng)
                    : Observation.of((Tensor) spec.observationSpace().sample(rng)));
        }
        return b;
    }
}
