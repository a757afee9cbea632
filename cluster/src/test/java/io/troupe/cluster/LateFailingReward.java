package io.troupe.cluster;

import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plugin reward with a bug validation cannot see: it works for its first 5,000 calls in this JVM (the dry run makes
 * 500 to 2,000), then throws. For the run-time fallback test.
 */
public final class LateFailingReward implements RewardFunction {
    static final AtomicLong CALLS = new AtomicLong();

    @Override
    public double reward(RewardInput in) {
        if (CALLS.incrementAndGet() > 5_000) {
            throw new IllegalStateException("late failure after 5000 calls");
        }
        return 3;
    }
}
