package io.troupe.environments;

import java.util.List;

/**
 * Implemented by envs that name the numbers a reward designer may use (the state's fields, facts such as a distance
 * to the goal). The names become variables of reward expressions (and {@code prev_<name>} the value before the step);
 * the values are written for the env's current state, without allocating.
 */
public interface RewardFeatures {
    /** lower_snake_case names, in the order {@link #writeRewardFeatures} writes them. */
    List<String> rewardFeatureNames();

    /** Writes the current values at {@code out[offset ..]}. */
    void writeRewardFeatures(double[] out, int offset);
}
