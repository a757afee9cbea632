package io.troupe.core;

import java.util.Map;

/**
 * The outcome of one environment step, as in Gymnasium: {@code terminated} means the episode reached a terminal state
 * of the MDP (do not bootstrap past it); {@code truncated} means it was cut short from outside, usually by a time limit
 * (bootstrap from {@code observation}). Both can be true at once.
 *
 * @param info extra facts about the step (for example {@code "success" -> true}); never null
 */
public record StepResult(Observation observation, double reward, boolean terminated, boolean truncated,
                         Map<String, Object> info) {
    /** Info key of a boolean telling whether the episode ended in success, for envs that define success. */
    public static final String SUCCESS = "success";

    public StepResult {
        if (observation == null) {
            throw new IllegalArgumentException("step result needs an observation");
        }
        info = info == null ? Map.of() : info;
    }

    /** Whether the episode is over, either way. */
    public boolean done() {
        return terminated || truncated;
    }
}
