package io.troupe.environments.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.reward.RewardExpression;
import io.troupe.core.reward.RewardExpressionException;
import io.troupe.core.reward.RewardSpec;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.VectorEnv;
import io.troupe.environments.cartpole.CartPole;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RewardShaperTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();
    private static final int K = 4;

    private static RewardShaper.Version expr(long version, String source, RewardShaper shaperOrNull) {
        return new RewardShaper.Version(version, RewardExpression.compile(source,
                FeatureSource.of(REGISTRY.make("CartPole-v1")).variables()));
    }

    private static CartPole cartPole(VectorEnv envs, int i) {
        return (CartPole) ((EnvWrapper) envs.env(i)).unwrapped();
    }

    @Test
    void expressionsSeeTheStateAfterAndBeforeTheStep() {
        try (VectorEnv envs = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), K)) {
            RewardShaper shaper = new RewardShaper(FeatureSource.of(envs.env(0)), K, RewardShaper.SwitchAt.EPISODE,
                    expr(1, "1000 * (theta - prev_theta) + (terminated ? 7 : 0)", null));
            envs.setRewardShaper(shaper);
            envs.reset(1);
            SplittableRandom rng = new SplittableRandom(2);
            int[] actions = new int[K];
            double[] before = new double[K];
            int ends = 0;
            for (int t = 0; t < 300; t++) {
                for (int i = 0; i < K; i++) {
                    actions[i] = rng.nextInt(2);
                    before[i] = cartPole(envs, i).state()[2];
                }
                envs.step(actions);
                for (int i = 0; i < K; i++) {
                    // after a done step the copy is already reset: the final observation holds the last state
                    double after = envs.done(i) ? envs.finalObservations().floats(0)[i * 4 + 2]
                            : cartPole(envs, i).state()[2];
                    double expected = 1000 * (after - before[i]) + (envs.terminated()[i] ? 7 : 0);
                    assertEquals(expected, envs.rewards()[i], 1e-3, "copy " + i + " step " + t);
                    assertEquals(1.0, envs.envRewards()[i]);
                    ends += envs.done(i) ? 1 : 0;
                }
            }
            assertTrue(ends > 5, "episodes ended: " + ends);
        }
    }

    @Test
    void offeredVersionsStartAtEpisodeBoundariesSoNoEpisodeMixesTwoRewards() {
        try (VectorEnv envs = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), K)) {
            RewardShaper shaper = new RewardShaper(FeatureSource.of(envs.env(0)), K, RewardShaper.SwitchAt.EPISODE,
                    RewardShaper.Version.ENV);
            envs.setRewardShaper(shaper);
            envs.reset(3);
            List<Set<Long>> versionsInEpisode = new ArrayList<>();
            for (int i = 0; i < K; i++) {
                versionsInEpisode.add(new HashSet<>());
            }
            envs.setEpisodeListener((i, ret, len, term, success) -> {
                assertEquals(1, versionsInEpisode.get(i).size(), "one reward version per episode");
                versionsInEpisode.get(i).clear();
            });
            int[] actions = new int[K];
            SplittableRandom rng = new SplittableRandom(4);
            for (int t = 0; t < 400; t++) {
                if (t == 5) {
                    shaper.offer(expr(1, "5", null));
                }
                for (int i = 0; i < K; i++) {
                    actions[i] = rng.nextInt(2);
                    versionsInEpisode.get(i).add(shaper.version(i));
                }
                envs.step(actions);
                for (int i = 0; i < K; i++) {
                    assertEquals(shaper.rewardVersion(i) == 1 ? 5.0 : 1.0, envs.rewards()[i]);
                }
                if (t == 6) {
                    assertEquals(0, shaper.version(0), "copy 0 is mid-episode and keeps version 0");
                }
            }
            for (int i = 0; i < K; i++) {
                assertEquals(1, shaper.version(i), "copy " + i + " switched after its episode ended");
            }
        }
    }

    @Test
    void switchAtStepAppliesOnTheNextStep() {
        try (VectorEnv envs = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), K)) {
            RewardShaper shaper = new RewardShaper(FeatureSource.of(envs.env(0)), K, RewardShaper.SwitchAt.STEP,
                    RewardShaper.Version.ENV);
            envs.setRewardShaper(shaper);
            envs.reset(3);
            envs.step(new int[K]);
            shaper.offer(expr(2, "-3", null));
            envs.step(new int[K]);
            for (int i = 0; i < K; i++) {
                assertEquals(-3.0, envs.rewards()[i]);
                assertEquals(2, shaper.version(i));
            }
        }
    }

    @Test
    void aFailingRewardFallsBackToThePreviousVersionAndIsNotAdoptedAgain() {
        for (RewardShaper.Version bad : List.of(expr(2, "theta > 0.05 ? log(-1) : 2", null),
                new RewardShaper.Version(2, new ThrowingReward()))) {
            try (VectorEnv envs = VectorEnv.of(() -> REGISTRY.make("CartPole-v1"), K)) {
                RewardShaper shaper = new RewardShaper(FeatureSource.of(envs.env(0)), K, RewardShaper.SwitchAt.STEP,
                        expr(1, "3", null));
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
                    envs.step(right); // pushing right makes the pole lean left then fall: every copy hits theta > 0.05?
                    envs.step(new int[K]);
                    for (double r : envs.rewards()) {
                        assertTrue(r == 2 || r == 3, "reward " + r);
                    }
                }
                assertEquals(1, events.size(), events.toString());
                assertTrue(events.get(0).startsWith("2->1: ") && events.get(0).contains("theta="), events.get(0));
                assertEquals(1, shaper.fallbacks());
                shaper.offer(bad); // offered again (say, by a stale replica): refused on this shaper
                envs.step(new int[K]);
                for (int i = 0; i < K; i++) {
                    assertEquals(1, shaper.version(i));
                }
            }
        }
    }

    @Test
    void compilerLoadsPluginClassesAndRefusesOthers() {
        var vars = FeatureSource.of(REGISTRY.make("CartPole-v1")).variables();
        assertTrue(RewardCompiler.compile(new RewardSpec("CartPole-v1", 1, "class", ThrowingReward.class.getName(), "",
                0, ""), vars) instanceof GuardedReward g && g.delegate() instanceof ThrowingReward);
        for (String[] bad : new String[][] {{"com.acme.Missing", "not on the class path"},
                {"java.lang.String", "does not implement"}, {"java.lang.Runtime; rm", "not a Java class name"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RewardCompiler.compile(
                    new RewardSpec("CartPole-v1", 1, "class", bad[0], "", 0, ""), vars));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void validatorDryRunsAndRejectsNonFiniteRewards() {
        RewardValidator.Report ok = RewardValidator.validate(REGISTRY, new RewardSpec("CartPole-v1", 1, "expr",
                "1 - abs(theta) / 0.21", "", 0, ""), 2000, 1);
        assertEquals(2000, ok.steps());
        // the last step of a fallen pole is past 0.21 rad, so slightly negative
        assertTrue(ok.min() >= -0.5 && ok.max() <= 1 && ok.mean() > 0.5, ok.toString());
        assertEquals(1.0, ok.envRewardMean());
        assertEquals(List.of("theta"), ok.variablesUsed());
        for (String bad : List.of("log(theta)", "1 / (action - action)", "sqrt(x)")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RewardValidator.validate(
                    REGISTRY, new RewardSpec("CartPole-v1", 1, "expr", bad, "", 0, ""), 2000, 1));
            assertTrue(e.getMessage().contains("returned NaN") || e.getMessage().contains("returned Infinity"),
                    e.getMessage());
        }
        assertThrows(RewardExpressionException.class, () -> RewardValidator.validate(REGISTRY,
                new RewardSpec("CartPole-v1", 1, "expr", "distance", "", 0, ""), 100, 1));
        RewardValidator.Report grid = RewardValidator.validate(REGISTRY, new RewardSpec("GoToObject-v0", 1, "expr",
                "reward + 0.1 * (prev_distance - distance)", "", 0, ""), 1000, 1);
        assertTrue(grid.min() >= -0.1 - 1e-9 && grid.max() <= 1.1 + 1e-9, grid.toString());
        assertFalse(grid.p50() != 0 && grid.p50() != 0.1 && grid.p50() != -0.1, grid.toString());
        for (var e : RewardTemplates.all().entrySet()) {
            for (RewardTemplates.Template t : e.getValue()) {
                RewardValidator.validate(REGISTRY, new RewardSpec(e.getKey(), 1, "expr", t.expr(), "", 0, ""), 500, 2);
            }
        }
    }
}
