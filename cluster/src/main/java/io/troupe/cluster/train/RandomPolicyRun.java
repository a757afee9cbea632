package io.troupe.cluster.train;

import io.troupe.core.EnvSpec;
import io.troupe.core.space.Discrete;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code random} algorithm: the uniform-random policy stepped through the vectorized env, reported exactly as a
 * training run is (metrics lines, progress line, summary). It is the baseline every learned policy is compared with,
 * and the end-to-end check of the env layer, the run directory and the reporting.
 */
public final class RandomPolicyRun {
    private final TrainSettings settings;
    private final EnvRegistry registry;
    private final RunDirectory run;
    private final ProgressLine progress;
    private final AtomicBoolean stopRequested;

    public RandomPolicyRun(TrainSettings settings, EnvRegistry registry, RunDirectory run, ProgressLine progress,
                           AtomicBoolean stopRequested) {
        this.settings = settings;
        this.registry = registry;
        this.run = run;
        this.progress = progress;
        this.stopRequested = stopRequested;
    }

    /** Runs until solved, out of budget or asked to stop; writes and returns the summary. */
    public Map<String, Object> run() {
        EnvSpec spec;
        EpisodeWindow window = new EpisodeWindow(100);
        try (VectorEnv vec = VectorEnv.of(() -> registry.make(settings.env(), settings.envOverrides()),
                settings.totalEnvs())) {
            spec = vec.spec();
            if (!(spec.actionSpace() instanceof Discrete d)) {
                throw new IllegalArgumentException("env " + spec.id() + " has action space "
                        + spec.actionSpace().describe() + "; the random policy drives Discrete action spaces");
            }
            OptionalDouble targetReturn = settings.targetReturn().isPresent() ? settings.targetReturn()
                    : spec.rewardThreshold();
            OptionalDouble targetSuccess = spec.definesSuccess() ? settings.targetSuccessRate() : OptionalDouble.empty();
            vec.setEpisodeListener((i, ret, len, terminated, success) -> window.add(ret, success));
            vec.reset(settings.seed() * 1000);
            SplittableRandom rng = new SplittableRandom(settings.seed());
            int k = vec.size();
            int[] actions = new int[k];
            long start = System.nanoTime();
            long reportEvery = settings.reportInterval().toNanos();
            long nextReport = start + reportEvery;
            long deadline = start + settings.maxWallTime().toNanos();
            long steps = 0;
            long lastSteps = 0;
            long lastTime = start;
            String stopReason = "step budget spent";
            Double solvedAt = null;
            Long solvedSteps = null;
            while (true) {
                if (steps >= settings.maxEnvSteps()) {
                    break;
                }
                if (stopRequested.get()) {
                    stopReason = "interrupted";
                    break;
                }
                for (int i = 0; i < k; i++) {
                    actions[i] = rng.nextInt(d.n());
                }
                vec.step(actions);
                steps += k;
                if (window.full() && solved(window, targetReturn, targetSuccess)) {
                    solvedAt = (System.nanoTime() - start) / 1e9;
                    solvedSteps = steps;
                    stopReason = "target reached";
                    break;
                }
                long now = System.nanoTime();
                if (now >= nextReport) {
                    report(window, steps, (now - start) / 1e9, (steps - lastSteps) / ((now - lastTime) / 1e9), spec);
                    lastSteps = steps;
                    lastTime = now;
                    nextReport = now + reportEvery;
                }
                if (now >= deadline) {
                    stopReason = "time budget spent";
                    break;
                }
            }
            long end = System.nanoTime();
            double wall = (end - start) / 1e9;
            report(window, steps, wall, steps / Math.max(wall, 1e-9), spec);
            progress.finish();
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("run_id", run.runId());
            summary.put("env", spec.id());
            summary.put("algorithm", settings.algorithm());
            summary.put("seed", settings.seed());
            summary.put("solved", solvedAt != null);
            summary.put("stop_reason", stopReason);
            summary.put("target_return", targetReturn.isPresent() ? targetReturn.getAsDouble() : null);
            summary.put("target_success_rate", targetSuccess.isPresent() ? targetSuccess.getAsDouble() : null);
            summary.put("wall_s_to_solve", solvedAt);
            summary.put("env_steps_to_solve", solvedSteps);
            summary.put("wall_s", wall);
            summary.put("env_steps", steps);
            summary.put("episodes", window.episodes());
            summary.put("mean_return_100", window.meanReturn());
            if (spec.definesSuccess()) {
                summary.put("success_rate_100", window.successRate());
            }
            summary.put("steps_per_s", steps / Math.max(wall, 1e-9));
            run.writeSummary(summary);
            return summary;
        }
    }

    private static boolean solved(EpisodeWindow w, OptionalDouble targetReturn, OptionalDouble targetSuccess) {
        if (targetSuccess.isPresent()) {
            return w.successRate() >= targetSuccess.getAsDouble();
        }
        return targetReturn.isPresent() && w.meanReturn() >= targetReturn.getAsDouble();
    }

    private void report(EpisodeWindow w, long steps, double wall, double stepsPerS, EnvSpec spec) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("wall_s", Math.round(wall * 1000) / 1000.0);
        line.put("env_steps", steps);
        line.put("episodes", w.episodes());
        line.put("mean_return_100", w.meanReturn());
        if (spec.definesSuccess()) {
            line.put("success_rate_100", w.successRate());
        }
        line.put("steps_per_s", Math.round(stepsPerS));
        line.put("learner_updates", 0);
        line.put("policy_version", 0);
        line.put("policy_lag_p50", 0);
        line.put("policy_lag_max", 0);
        line.put("reward_version", 0);
        run.appendMetrics(line);
        progress.update(String.format("%s %s | steps %,d | episodes %,d | return(100) %.1f%s | %,.0f steps/s | "
                        + "policy v0 (uniform random) | lag 0", spec.id(), settings.algorithm(), steps, w.episodes(),
                w.meanReturn(), spec.definesSuccess() ? String.format(" | success(100) %.2f", w.successRate()) : "",
                stepsPerS));
    }
}
