package io.troupe.environments.reward;

import io.troupe.core.reward.RewardExpression;
import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardSpec;
import io.troupe.core.space.Discrete;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks a reward spec before it may become active: it compiles against the env's variables (unknown variables are
 * named with the known ones), and a dry run over freshly simulated transitions (8 copies of the env, uniformly random
 * actions, a fixed seed) gives a finite reward on every step. The dry run's reward distribution is the report of
 * {@code troupe reward test}.
 */
public final class RewardValidator {
    /** The reward distribution of a dry run. */
    public record Report(String envId, int steps, int episodes, double mean, double std, double min, double p05,
                         double p50, double p95, double max, double envRewardMean, List<String> variablesUsed) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("env", envId);
            m.put("steps", steps);
            m.put("episodes", episodes);
            m.put("mean", mean);
            m.put("std", std);
            m.put("min", min);
            m.put("p05", p05);
            m.put("p50", p50);
            m.put("p95", p95);
            m.put("max", max);
            m.put("env_reward_mean", envRewardMean);
            m.put("variables_used", variablesUsed);
            return m;
        }
    }

    private RewardValidator() {
    }

    /** As {@link #validate(EnvRegistry, RewardSpec, int, long, Duration)} with the default Java-call budget. */
    public static Report validate(EnvRegistry registry, RewardSpec spec, int steps, long seed) {
        return validate(registry, spec, steps, seed, RewardCompiler.DEFAULT_JAVA_CALL_BUDGET);
    }

    /**
     * Compiles and dry-runs {@code spec} for {@code steps} transitions; throws with the reason when it is invalid. A
     * Java class's call that takes longer than {@code javaCallBudget} ({@code troupe.reward.java-call-budget}, as on
     * the agents that would run it) makes the spec invalid.
     */
    public static Report validate(EnvRegistry registry, RewardSpec spec, int steps, long seed,
                                  Duration javaCallBudget) {
        if (steps < 1 || steps > 1_000_000) {
            throw new IllegalArgumentException("a reward dry run takes 1..1000000 steps, got " + steps);
        }
        int copies = 8;
        try (VectorEnv envs = VectorEnv.of(() -> registry.make(spec.envId()), copies)) {
            if (!(envs.spec().actionSpace() instanceof Discrete d)) {
                throw new IllegalArgumentException(spec.envId() + ": reward dry runs support discrete actions only");
            }
            FeatureSource source = FeatureSource.of(envs.env(0));
            RewardFunction function = RewardCompiler.compile(spec, source.variables(), javaCallBudget);
            RewardShaper shaper = new RewardShaper(source, copies, RewardShaper.SwitchAt.STEP,
                    new RewardShaper.Version(spec.version(), function));
            String[] failure = new String[1];
            shaper.setFallbackListener((failed, fallback, reason) -> {
                if (failure[0] == null) {
                    failure[0] = reason;
                }
            });
            int[] episodes = new int[1];
            envs.setEpisodeListener((i, ret, len, term, success) -> episodes[0]++);
            envs.setRewardShaper(shaper);
            envs.reset(seed);
            SplittableRandom rng = new SplittableRandom(seed);
            int[] actions = new int[copies];
            int rounds = (steps + copies - 1) / copies;
            double[] rewards = new double[rounds * copies];
            double envSum = 0;
            int n = 0;
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < copies; i++) {
                    actions[i] = rng.nextInt(d.n());
                }
                envs.step(actions);
                if (failure[0] != null) {
                    throw new IllegalArgumentException("reward " + spec.describe() + " is not usable on "
                            + spec.envId() + ": it " + failure[0]);
                }
                for (int i = 0; i < copies; i++) {
                    rewards[n++] = envs.rewards()[i];
                    envSum += envs.envRewards()[i];
                }
            }
            double mean = Arrays.stream(rewards).average().orElse(0);
            double var = Arrays.stream(rewards).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, n - 1);
            double[] sorted = rewards.clone();
            Arrays.sort(sorted);
            List<String> used = function instanceof RewardExpression e
                    ? e.variablesUsed() : List.of();
            return new Report(spec.envId(), n, episodes[0], mean, Math.sqrt(var), sorted[0], quantile(sorted, 0.05),
                    quantile(sorted, 0.5), quantile(sorted, 0.95), sorted[n - 1], envSum / n, used);
        }
    }

    private static double quantile(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }
}
