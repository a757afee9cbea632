package io.troupe.core.reward;

/**
 * One transition as a reward function sees it: a view reused from step to step (nothing is allocated per step), whose
 * values sit in a slot array laid out by {@link RewardVariables}. Filled by the env stepping code, read by reward
 * functions; valid only during the call.
 */
public final class RewardInput {
    private final RewardVariables variables;
    private final double[] slots;

    public RewardInput(RewardVariables variables) {
        this.variables = variables;
        this.slots = new double[variables.size()];
    }

    public RewardVariables variables() {
        return variables;
    }

    /** The values, in {@link RewardVariables} slot order (writers fill the feature ranges directly). */
    public double[] slots() {
        return slots;
    }

    /** Sets the built-in variables of one step. */
    public void set(double envReward, int action, int step, boolean terminated, boolean truncated, boolean success) {
        slots[RewardVariables.REWARD] = envReward;
        slots[RewardVariables.ACTION] = action;
        slots[RewardVariables.STEP] = step;
        slots[RewardVariables.TERMINATED] = terminated ? 1 : 0;
        slots[RewardVariables.TRUNCATED] = truncated ? 1 : 0;
        slots[RewardVariables.DONE] = terminated || truncated ? 1 : 0;
        slots[RewardVariables.SUCCESS] = success ? 1 : 0;
    }

    /** The env's own reward for this step. */
    public double envReward() {
        return slots[RewardVariables.REWARD];
    }

    /** The discrete action taken (0 for continuous action spaces). */
    public int action() {
        return (int) slots[RewardVariables.ACTION];
    }

    /** The step's 1-based index in its episode. */
    public int step() {
        return (int) slots[RewardVariables.STEP];
    }

    public boolean terminated() {
        return slots[RewardVariables.TERMINATED] != 0;
    }

    public boolean truncated() {
        return slots[RewardVariables.TRUNCATED] != 0;
    }

    public boolean success() {
        return slots[RewardVariables.SUCCESS] != 0;
    }

    /** A feature after the step (or any variable by name). */
    public double feature(String name) {
        int s = variables.slot(name);
        if (s < 0) {
            throw new IllegalArgumentException("no reward variable '" + name + "'; known: " + variables.names());
        }
        return slots[s];
    }

    /** A feature before the step. */
    public double previous(String feature) {
        return feature(RewardVariables.PREVIOUS + feature);
    }
}
