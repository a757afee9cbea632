package io.troupe.core.reward;

/**
 * A pure reward function: the reward of one transition (previous features, action, the step's outcome with the env's
 * own reward). Implementations must not keep state between calls and must return a finite number; one that throws or
 * returns NaN or an infinity at run time is replaced by the previous version on that agent, and the event is reported.
 *
 * <p>A Java implementation on the class path is named by its class in a reward spec ({@code "class": "com.acme.MyReward"})
 * and needs a public no-argument constructor; expressions are compiled by {@link RewardExpression}.
 */
@FunctionalInterface
public interface RewardFunction {
    double reward(RewardInput in);

    /** The env's own reward, unchanged (reward version 0 of every job). */
    RewardFunction ENV_REWARD = RewardInput::envReward;
}
