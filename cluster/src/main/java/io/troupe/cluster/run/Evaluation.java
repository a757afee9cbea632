package io.troupe.cluster.run;

import com.typesafe.config.Config;
import io.troupe.core.Categorical;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a policy greedily (the most likely action) for a number of episodes and reports the mean return, success rate
 * and episode length. Episodes are counted in the order they end; extra ones ending on the same step are dropped.
 */
public final class Evaluation {

    /** What {@code ./troupe eval} prints. */
    public record Result(int episodes, double meanReturn, double successRate, double meanLength) {
    }

    /** One finished episode. */
    public record Episode(double episodeReturn, boolean success, int length) {
    }

    /**
     * Sees every batch of observations the policy acted on and the policy's answer, before the envs step (the batch
     * is overwritten by the next step: copy what must be kept).
     */
    @FunctionalInterface
    public interface StepObserver {
        void observe(ObservationBatch observations, Policy.Evaluation evaluation);
    }

    private Evaluation() {
    }

    public static Result run(EnvRegistry registry, String envId, Config overrides, Policy policy,
                             int episodes, int envs, long seed) {
        return summarize(episodes(registry, envId, overrides, policy, episodes, envs, seed, null));
    }

    /** The first {@code episodes} episodes to end, each step shown to {@code observer} (may be null). */
    public static List<Episode> episodes(EnvRegistry registry, String envId, Config overrides, Policy policy,
                                         int episodes, int envs, long seed, StepObserver observer) {
        List<Episode> done = new ArrayList<>();
        try (VectorEnv vec = VectorEnv.of(() -> registry.make(envId, overrides), envs)) {
            vec.setEpisodeListener((i, ret, len, term, success) -> {
                if (done.size() < episodes) {
                    done.add(new Episode(ret, success, len));
                }
            });
            vec.reset(seed);
            int[] actions = new int[envs];
            while (done.size() < episodes) {
                Policy.Evaluation eval = policy.evaluate(vec.observations());
                if (observer != null) {
                    observer.observe(vec.observations(), eval);
                }
                int n = eval.actions();
                for (int e = 0; e < envs; e++) {
                    actions[e] = Categorical.argmax(eval.logits(), e * n, n);
                }
                vec.step(actions);
            }
        }
        return done;
    }

    /** Mean return, success rate and length of {@code episodes}. */
    public static Result summarize(List<Episode> episodes) {
        double r = 0;
        double s = 0;
        double l = 0;
        for (Episode d : episodes) {
            r += d.episodeReturn();
            s += d.success() ? 1 : 0;
            l += d.length();
        }
        int n = episodes.size();
        return new Result(n, r / n, s / n, l / n);
    }
}
