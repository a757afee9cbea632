package io.troupe.environments.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.Action;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.FloatTensor;
import io.troupe.core.IntTensor;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.environments.AbstractEnv;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.StepOutcome;
import io.troupe.environments.UnknownEnvException;
import io.troupe.environments.cartpole.CartPole;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class EnvCheckerTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();

    static Stream<String> registeredIds() {
        return REGISTRY.ids().stream();
    }

    @ParameterizedTest
    @MethodSource("registeredIds")
    void everyRegisteredEnvPassesTheChecker(String id) {
        CheckReport report = EnvChecker.check(REGISTRY, id);
        assertTrue(report.passed(), report.format());
        assertEquals(0, report.count(CheckResult.Status.WARN), report.format());
    }

    @Test
    void builtInEnvsAreRegistered() {
        assertTrue(REGISTRY.ids().containsAll(List.of("CartPole-v1", "GoToObject-v0")));
    }

    @Test
    void unknownIdIsRefusedListingKnownIds() {
        UnknownEnvException e = assertThrows(UnknownEnvException.class, () -> EnvChecker.check(REGISTRY, "CartPole-v0"));
        assertTrue(e.getMessage().contains("CartPole-v1"), e.getMessage());
    }

    /** A configurable broken CartPole: each flag breaks one part of the contract. */
    static final class BrokenEnv implements Env {
        private final Map<String, Boolean> flaws;
        private final CartPole inner = new CartPole();
        private boolean started;
        private long calls;

        BrokenEnv(Map<String, Boolean> flaws) {
            this.flaws = flaws;
        }

        private boolean has(String flaw) {
            return flaws.getOrDefault(flaw, false);
        }

        @Override
        public EnvSpec spec() {
            return inner.spec();
        }

        @Override
        public Observation reset(long seed) {
            started = true;
            return has("unseeded-reset") ? inner.reset(System.nanoTime()) : inner.reset(seed);
        }

        @Override
        public Observation reset() {
            started = true;
            return inner.reset();
        }

        @Override
        public StepResult step(Action action) {
            calls++;
            if (has("no-reset-check") && !started) {
                return new StepResult(Observation.of(FloatTensor.of(0, 0, 0, 0)), 1, false, false, Map.of());
            }
            if (has("accepts-invalid-actions") && action instanceof Action.Discrete d && d.index() >= 2) {
                action = Action.discrete(1);
            }
            StepResult r = inner.step(action);
            if (has("nan-reward") && calls % 7 == 0) {
                return new StepResult(r.observation(), Double.NaN, r.terminated(), r.truncated(), r.info());
            }
            if (has("obs-out-of-bounds")) {
                return new StepResult(Observation.of(FloatTensor.of(100f, 0, 0, 0)), r.reward(), r.terminated(),
                        r.truncated(), r.info());
            }
            if (has("wrong-dtype")) {
                return new StepResult(Observation.of(new IntTensor(new int[] {4}, new int[4])), r.reward(),
                        r.terminated(), r.truncated(), r.info());
            }
            return r;
        }
    }

    private static CheckReport checkBroken(String flaw) {
        Supplier<Env> factory = () -> new BrokenEnv(Map.of(flaw, true));
        return EnvChecker.check(factory);
    }

    private static void assertFails(CheckReport report, String check) {
        assertFalse(report.passed(), report.format());
        assertEquals(CheckResult.Status.FAIL, report.result(check).orElseThrow().status(), report.format());
    }

    @Test
    void healthyWrappedEnvPassesThroughTheSupplierApi() {
        CheckReport report = EnvChecker.check(() -> new BrokenEnv(Map.of()));
        assertTrue(report.passed(), report.format());
    }

    @Test
    void stepBeforeResetThatSucceedsFails() {
        assertFails(checkBroken("no-reset-check"), "step-before-reset-fails");
    }

    @Test
    void nonDeterministicResetFails() {
        CheckReport report = checkBroken("unseeded-reset");
        assertFails(report, "seeded-reset-deterministic");
        assertEquals(CheckResult.Status.FAIL, report.result("seeded-stepping-deterministic").orElseThrow().status());
    }

    @Test
    void acceptedInvalidActionFails() {
        assertFails(checkBroken("accepts-invalid-actions"), "invalid-action-fails");
    }

    @Test
    void nanRewardFails() {
        assertFails(checkBroken("nan-reward"), "rewards-finite");
    }

    @Test
    void observationOutsideTheSpaceFails() {
        CheckReport report = checkBroken("obs-out-of-bounds");
        assertFails(report, "step-observation-in-space");
        assertTrue(report.result("step-observation-in-space").orElseThrow().detail().contains("outside"),
                report.format());
        assertFails(checkBroken("wrong-dtype"), "step-observation-in-space");
    }

    @Test
    void reportFormatNamesEveryCheckAndTheVerdict() {
        CheckReport report = checkBroken("nan-reward");
        String text = report.format();
        for (CheckResult r : report.results()) {
            assertTrue(text.contains(r.name()));
        }
        assertTrue(text.contains("verdict: FAIL"));
    }

    @Test
    void envWithoutTimeLimitStillPassesWithSpaceInfiniteEpisodes() {
        // an env that never terminates: only a warning about termination, truncation still checked via TimeLimit
        Supplier<Env> factory = () -> new AbstractEnv(EnvSpec.of("Forever-v0",
                Box.uniform(-1, 1, DType.FLOAT32, 1), new Discrete(2))) {
            @Override
            protected void resetState(RandomGenerator rng) {
            }

            @Override
            protected void advance(Action action, StepOutcome out) {
                out.reward = ((Action.Discrete) action).index();
            }

            @Override
            protected void writeObservation(ObservationBatch out, int row) {
                out.floats(0)[row] = 0.5f;
            }
        };
        CheckReport report = EnvChecker.check(factory);
        assertTrue(report.passed(), report.format());
        assertEquals(CheckResult.Status.WARN, report.result("termination-reachable").orElseThrow().status());
        assertEquals(CheckResult.Status.WARN, report.result("seeded-reset-deterministic").orElseThrow().status());
    }
}
