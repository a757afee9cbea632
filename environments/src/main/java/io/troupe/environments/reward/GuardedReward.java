package io.troupe.environments.reward;

import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;
import java.time.Duration;

/**
 * A Java-class reward with a time budget per call: the call runs on the caller's thread, its elapsed time is measured
 * ({@link System#nanoTime}, two reads a call, no thread per step), and a call that returns after more than the budget
 * ({@code troupe.reward.java-call-budget}) throws {@link RewardCallException}, so that version falls back as a throwing
 * or non-finite one does. What this cannot do: stop a call that never returns (that needs a thread to interrupt it,
 * and the agent's thread is the one stuck); the budget catches a slow reward, not a hung one. The elapsed time
 * includes any garbage-collection pause during the call: keep the budget far above pauses (the default is 250 ms,
 * while a step costs microseconds).
 */
public final class GuardedReward implements RewardFunction {
    private final RewardFunction delegate;
    private final String name;
    private final long budgetNanos;

    public GuardedReward(RewardFunction delegate, String name, Duration budget) {
        this.delegate = delegate;
        this.name = name;
        this.budgetNanos = RewardCompiler.checkBudget(budget).toNanos();
    }

    /** The guarded function. */
    public RewardFunction delegate() {
        return delegate;
    }

    @Override
    public double reward(RewardInput in) {
        long start = System.nanoTime();
        double r = delegate.reward(in);
        long took = System.nanoTime() - start;
        if (took > budgetNanos) {
            throw new RewardCallException(name + " took " + took / 1_000_000 + " ms for one call, over its budget of "
                    + budgetNanos / 1_000_000 + " ms (troupe.reward.java-call-budget)", null);
        }
        return r;
    }
}
