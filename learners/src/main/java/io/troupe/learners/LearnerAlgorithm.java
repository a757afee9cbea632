package io.troupe.learners;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The algorithms a {@link Learner} updates with, by the id {@code troupe.learner.algorithm} uses. */
public enum LearnerAlgorithm {
    PPO, IMPALA,
    /** Policy distillation from a frozen teacher into the acting student ({@code DistillLearner}). */
    DISTILL;

    /** The id in configs and status: the name in lower case. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The algorithm with id {@code id} (any case); an unknown id is an error naming {@code key} and the known ids. */
    public static LearnerAlgorithm parse(String key, String id) {
        for (LearnerAlgorithm a : values()) {
            if (a.id().equals(id.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException(key + ": unknown algorithm '" + id + "'; available: "
                + Arrays.stream(values()).map(LearnerAlgorithm::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id();
    }
}
