package io.troupe.environments.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.reward.RewardExpression;
import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;
import io.troupe.core.reward.RewardSpec;
import io.troupe.core.reward.RewardVariables;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A Java-class reward that throws any non-fatal {@link Throwable} (not only a RuntimeException), or whose call runs
 * over the time budget, fails its version, which falls back exactly as a failing expression does. The JVM's own
 * errors (OutOfMemoryError) still propagate.
 */
class JavaRewardFailureTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();
    private static final int K = 4;
    private static final RewardVariables VARIABLES = FeatureSource.of(REGISTRY.make("CartPole-v1")).variables();

    /** Fails (as {@link #fail} says) once the pole leans right by more than 0.05 rad; 2 until then. */
    public abstract static class FailsWhenLeaning implements RewardFunction {
        @Override
        public double reward(RewardInput in) {
            if (in.feature("theta") > 0.05) {
                fail();
            }
            return 2;
        }

        abstract void fail();
    }

    public static final class Recurses extends FailsWhenLeaning {
        private static int depth(int n) {
            return depth(n + 1) + 1;
        }

        @Override
        void fail() {
            depth(0); // StackOverflowError
        }
    }

    public static final class Asserts extends FailsWhenLeaning {
        @Override
        void fail() {
            throw new AssertionError("the pole should not lean");
        }
    }

    public static final class MissesAClass extends FailsWhenLeaning {
        @Override
        void fail() {
            throw new NoClassDefFoundError("com/acme/Helper"); // a LinkageError: a dependency missing on this node
        }
    }

    public static final class ThrowsChecked extends FailsWhenLeaning {
        @Override
        void fail() {
            sneaky(new IOException("lookup table unreadable"));
        }

        @SuppressWarnings("unchecked")
        private static <T extends Throwable> void sneaky(Throwable t) throws T {
            throw (T) t;
        }
    }

    /** Takes 400 ms for a call once the pole leans (a slow lookup, say). */
    public static final class Slow extends FailsWhenLeaning {
        @Override
        void fail() {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
            while (System.nanoTime() < until) {
                LockSupport.parkNanos(until - System.nanoTime());
            }
        }
    }

    public static final class RunsOutOfMemory extends FailsWhenLeaning {
        @Override
        void fail() {
            throw new OutOfMemoryError("simulated");
        }
    }

    private static RewardShaper.Version classVersion(Class<?> c, Duration budget) {
        return new RewardShaper.Version(2, RewardCompiler.compile(new RewardSpec("CartPole-v1", 2, "class",
                c.getName(), "", 0, ""), VARIABLES, budget));
    }

    /**
     * Runs with version 1 (reward 3), offers {@code bad} and pushes the poles over; returns the fallback events. Every
     * step's reward is 2 (bad, before it fails) or 3 (version 1, after).
     */
    private static List<String> fallbacksOf(RewardShaper.Version bad) {
        try (VectorEnv envs = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), K)) {
            RewardShaper shaper = new RewardShaper(FeatureSource.of(envs.env(0)), K, RewardShaper.SwitchAt.STEP,
                    new RewardShaper.Version(1, RewardExpression.compile("3", VARIABLES)));
            List<String> events = new ArrayList<>();
            shaper.setFallbackListener((failed, fallback, reason) -> events.add(failed + "->" + fallback + ": "
                    + reason));
            envs.setRewardShaper(shaper);
            envs.reset(5);
            envs.step(new int[K]);
            shaper.offer(bad);
            int[] right = new int[K];
            Arrays.fill(right, 1);
            for (int t = 0; t < 40; t++) {
                envs.step(right);
                envs.step(new int[K]);
                for (double r : envs.rewards()) {
                    assertTrue(r == 2 || r == 3, "reward " + r);
                }
            }
            for (int i = 0; i < K; i++) {
                assertEquals(1, shaper.version(i), "copy " + i + " fell back to version 1");
            }
            return events;
        }
    }

    @Test
    void errorsAndCheckedExceptionsFailTheVersionWhichFallsBack() {
        Duration generous = Duration.ofSeconds(30);
        for (Object[] c : new Object[][] {{Recurses.class, "StackOverflowError"},
                {Asserts.class, "AssertionError: the pole should not lean"},
                {MissesAClass.class, "NoClassDefFoundError: com/acme/Helper"},
                {ThrowsChecked.class, "IOException: lookup table unreadable"}}) {
            List<String> events = fallbacksOf(classVersion((Class<?>) c[0], generous));
            assertEquals(1, events.size(), c[0] + ": " + events);
            assertTrue(events.get(0).startsWith("2->1: threw ") && events.get(0).contains((String) c[1])
                    && events.get(0).contains("theta="), events.get(0));
        }
    }

    @Test
    void aCallOverTheTimeBudgetFailsTheVersionWhichFallsBack() {
        List<String> events = fallbacksOf(classVersion(Slow.class, Duration.ofMillis(100)));
        assertEquals(1, events.size(), events.toString());
        assertTrue(events.get(0).startsWith("2->1: reward class " + Slow.class.getName() + " took ")
                && events.get(0).contains("over its budget of 100 ms (troupe.reward.java-call-budget)"),
                events.get(0));
    }

    @Test
    void theJvmsOwnErrorsPropagate() {
        assertThrows(OutOfMemoryError.class, () -> fallbacksOf(classVersion(RunsOutOfMemory.class,
                Duration.ofSeconds(30))));
    }

    @Test
    void theBudgetIsReadFromConfigAndValidated() {
        assertEquals(RewardCompiler.DEFAULT_JAVA_CALL_BUDGET, RewardCompiler.javaCallBudget(ConfigFactory.parseString(
                "troupe.reward.java-call-budget = 250ms")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RewardCompiler.javaCallBudget(
                ConfigFactory.parseString("troupe.reward.java-call-budget = 0s")));
        assertTrue(e.getMessage().contains("troupe.reward.java-call-budget"), e.getMessage());
    }
}
