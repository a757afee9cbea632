package io.troupe.environments.reward;

import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;

/** A plugin reward that fails on some inputs: when the pole leans right by more than 0.05 rad. */
public final class ThrowingReward implements RewardFunction {
    @Override
    public double reward(RewardInput in) {
        if (in.feature("theta") > 0.05) {
            throw new IllegalStateException("cannot score a leaning pole");
        }
        return 2;
    }
}
