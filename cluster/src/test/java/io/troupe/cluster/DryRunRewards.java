package io.troupe.cluster;

import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Java-class rewards that let a test see where and how a dry run calls them. */
public final class DryRunRewards {
    private DryRunRewards() {
    }

    /** Records the name of every thread that calls it. */
    public static final class OnThread implements RewardFunction {
        static final Set<String> THREADS = ConcurrentHashMap.newKeySet();

        @Override
        public double reward(RewardInput in) {
            THREADS.add(Thread.currentThread().getName());
            return 1;
        }
    }

    /** Takes 200 ms a call: over a 50 ms budget, well under the default 250 ms one. */
    public static final class Slow implements RewardFunction {
        @Override
        public double reward(RewardInput in) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // the slowness under test, not a wait
            return 1;
        }
    }

    /** Its first call says it has started and holds its thread until the test opens {@link #release}. */
    public static final class Gate implements RewardFunction {
        static volatile CountDownLatch entered = new CountDownLatch(1);
        static volatile CountDownLatch release = new CountDownLatch(1);

        @Override
        public double reward(RewardInput in) {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 1;
        }
    }
}
