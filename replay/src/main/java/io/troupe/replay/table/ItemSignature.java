package io.troupe.replay.table;

import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import java.util.List;
import java.util.Optional;

/**
 * What every item of a table must look like: unrolls of a fixed length, their observation modalities (names, dtypes,
 * shapes) and their action kind. Items that do not match are refused at insert.
 *
 * @param sequenceLength T, the steps of every unroll
 * @param actions        number of discrete actions, or 0 for continuous actions
 * @param actionDim      dimension of continuous actions, or 0
 */
public record ItemSignature(int sequenceLength, List<ObservationBatch.Modality> modalities, int actions,
                            int actionDim) {
    public ItemSignature {
        if (sequenceLength < 1) {
            throw new IllegalArgumentException("unroll length must be >= 1, got " + sequenceLength);
        }
        modalities = List.copyOf(modalities);
    }

    /** Unrolls of {@code length} steps of env {@code spec}. */
    public static ItemSignature unrolls(EnvSpec spec, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("unroll length must be >= 1, got " + length);
        }
        int actions = spec.actionSpace() instanceof Discrete d ? d.n() : 0;
        int dim = spec.actionSpace() instanceof Box b ? b.size() : 0;
        return new ItemSignature(length, ObservationBatch.modalitiesOf(spec.observationSpace()), actions, dim);
    }

    /** Why {@code item} does not match, or empty. */
    public Optional<String> violation(ReplayItem item) {
        Unroll u = (Unroll) item;
        if (u.length() != sequenceLength) {
            return Optional.of("unroll has " + u.length() + " steps; this table holds unrolls of " + sequenceLength);
        }
        if (!u.observations().modalities().equals(modalities)) {
            return Optional.of("observations are " + u.observations().modalities() + "; this table holds "
                    + modalities);
        }
        if (actions > 0 && u.discreteActions().length != u.length()) {
            return Optional.of("unroll has continuous actions; this table holds " + actions + " discrete actions");
        }
        if (actionDim > 0 && u.continuousActions().length != u.length() * actionDim) {
            return Optional.of("unroll actions are not " + actionDim + "-dimensional");
        }
        for (int a : u.discreteActions()) {
            if (a < 0 || a >= actions) {
                return Optional.of("unroll action " + a + " is outside 0.." + (actions - 1));
            }
        }
        return Optional.empty();
    }
}
