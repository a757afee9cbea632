package io.troupe.environments.reward;

import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;
import io.troupe.core.reward.RewardVariables;

/**
 * CartPole-v1's "upright" template ({@code 1 - abs(theta) / 0.21}) as a Java plugin: the example a reward designer
 * copies for a class reward ({@code troupe reward set --class io.troupe.environments.reward.CartPoleUprightReward}),
 * and the Java side of {@code troupe bench reward}. The slot of {@code theta} is looked up once per variable layout.
 */
public final class CartPoleUprightReward implements RewardFunction {
    private RewardVariables variables;
    private int theta;

    @Override
    public double reward(RewardInput in) {
        if (in.variables() != variables) {
            variables = in.variables();
            theta = variables.slot("theta");
            if (theta < 0) {
                throw new IllegalArgumentException("CartPoleUprightReward needs a 'theta' feature; this env has "
                        + variables.features());
            }
        }
        return 1 - Math.abs(in.slots()[theta]) / 0.21;
    }
}
