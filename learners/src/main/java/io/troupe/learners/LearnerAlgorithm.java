package io.troupe.learners;

import java.util.Locale;

/** The algorithms a {@link Learner} updates with (a job's {@code troupe.train.algorithm} picks one). */
public enum LearnerAlgorithm {
    PPO, IMPALA,
    /** Policy distillation from a frozen teacher into the acting student ({@code DistillLearner}). */
    DISTILL;

    /** The id in configs and status: the name in lower case. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return id();
    }
}
