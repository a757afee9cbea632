package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** The algorithms {@code train} runs, by the id a config and a report use ({@code troupe.train.algorithm = ppo}). */
public enum Algorithm {
    PPO, IMPALA, RANDOM,
    /** Policy distillation into the acting student from {@code troupe.distill}'s teacher. */
    DISTILL;

    /** The id in configs, run names and reports: the name in lower case. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The algorithm with id {@code id}; an unknown id is an error naming {@code key} and the known ids. */
    public static Algorithm parse(String key, String id) {
        for (Algorithm a : values()) {
            if (a.id().equals(id)) {
                return a;
            }
        }
        throw new IllegalArgumentException(key + ": unknown algorithm '" + id + "'; available: "
                + String.join(", ", Arrays.stream(values()).map(Algorithm::id).toList()));
    }

    @Override
    public String toString() {
        return id();
    }
}
