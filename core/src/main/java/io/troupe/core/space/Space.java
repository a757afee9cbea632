package io.troupe.core.space;

import io.troupe.core.Observation;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * A set of values an observation or action can take, as in Gymnasium: {@link Discrete}, {@link Box}, {@link Text} and
 * {@link Dict} of named sub-spaces (multimodal observations).
 */
public sealed interface Space permits Discrete, Box, Text, Dict {

    /** Why {@code value} is not in this space (naming the value and what was expected), or empty if it is. */
    Optional<String> violation(Object value);

    /** Whether {@code value} is in this space. */
    default boolean contains(Object value) {
        return violation(value).isEmpty();
    }

    /**
     * Why an observation does not fit this space, or empty if it does. A {@link Dict} space takes the observation's
     * named tensors; any other space takes its single tensor.
     */
    default Optional<String> observationViolation(Observation observation) {
        if (observation == null) {
            return Optional.of("observation is null");
        }
        if (observation.tensors().size() != 1) {
            return Optional.of("observation has tensors " + observation.tensors().keySet() + " but the space "
                    + describe() + " takes a single tensor");
        }
        return violation(observation.single());
    }

    /** A value drawn from this space with {@code rng}: Integer, Tensor or Observation depending on the space. */
    Object sample(RandomGenerator rng);

    /** A one-line description such as {@code Box(float32, [4], -inf..inf)}. */
    String describe();
}
