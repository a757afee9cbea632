package io.troupe.cluster.run;

import io.troupe.core.space.Discrete;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code random} algorithm: the uniform-random policy stepped through the vectorized env, reported exactly as a
 * training run is. It is the baseline every learned policy is compared with.
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
    public RunSummary run() {
        try (VectorEnv vec = VectorEnv.of(() -> registry.make(settings.env(), settings.envOverrides()),
                settings.totalEnvs())) {
            if (!(vec.spec().actionSpace() instanceof Discrete d)) {
                throw new IllegalArgumentException("env " + vec.spec().id() + " has action space "
                        + vec.spec().actionSpace().describe() + "; the random policy drives Discrete action spaces");
            }
            RunReporter reporter = new RunReporter(settings, run, progress, vec.spec());
            vec.setEpisodeListener((i, ret, len, terminated, success) -> reporter.episode(ret, success));
            vec.reset(settings.seed() * 1000);
            SplittableRandom rng = new SplittableRandom(settings.seed());
            int[] actions = new int[vec.size()];
            long steps = 0;
            StopReason stopReason = StopReason.STEP_BUDGET_SPENT;
            while (steps < settings.maxEnvSteps()) {
                if (stopRequested.get()) {
                    stopReason = StopReason.INTERRUPTED;
                    break;
                }
                for (int i = 0; i < actions.length; i++) {
                    actions[i] = rng.nextInt(d.n());
                }
                vec.step(actions);
                steps += actions.length;
                if (reporter.solved(steps)) {
                    stopReason = StopReason.TARGET_REACHED;
                    break;
                }
                reporter.maybeReport(steps, LearnerReport.none("uniform random"), false);
                if (reporter.outOfTime()) {
                    stopReason = StopReason.TIME_BUDGET_SPENT;
                    break;
                }
            }
            reporter.maybeReport(steps, LearnerReport.none("uniform random"), true);
            return reporter.finish(stopReason, steps, RunFacts.NONE);
        }
    }
}
