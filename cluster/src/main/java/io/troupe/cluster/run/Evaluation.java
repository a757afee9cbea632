package io.troupe.cluster.run;

import com.typesafe.config.Config;
import io.troupe.core.Categorical;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Runs a policy for a number of episodes and reports the mean return, success rate and episode length, acting either
 * greedily (the most likely action) or by sampling (an action drawn from the softmax of the logits, from a stream
 * seeded with the evaluation seed). The episodes are dealt evenly over the env copies and each copy's first ones count,
 * whatever their length, so failing (long) episodes weigh as much as successful (short) ones. Both modes play the same
 * layouts: the envs are reset from the same seed.
 */
public final class Evaluation {

    /** How the action is chosen from the policy's logits. */
    public enum Mode {
        /** The most likely action (argmax of the logits; the first on ties): what a service answers by default. */
        GREEDY,
        /** An action drawn from softmax(logits) with a stream seeded from the evaluation seed: how agents act. */
        SAMPLED;

        /** The lower-case name {@code ./troupe eval} prints. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What {@code ./troupe eval} prints, once per mode. */
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

    /** The greedy policy's figures. */
    public static Result run(EnvRegistry registry, String envId, Config overrides, Policy policy,
                             int episodes, int envs, long seed) {
        return run(registry, envId, overrides, policy, episodes, envs, seed, Mode.GREEDY);
    }

    /** The figures of the policy acting in {@code mode}. */
    public static Result run(EnvRegistry registry, String envId, Config overrides, Policy policy,
                             int episodes, int envs, long seed, Mode mode) {
        return summarize(episodes(registry, envId, overrides, policy, episodes, envs, seed, mode, null));
    }

    /** The greedy policy's episodes, each step shown to {@code observer} (may be null). */
    public static List<Episode> episodes(EnvRegistry registry, String envId, Config overrides, Policy policy,
                                         int episodes, int envs, long seed, StepObserver observer) {
        return episodes(registry, envId, overrides, policy, episodes, envs, seed, Mode.GREEDY, observer);
    }

    /**
     * {@code episodes} episodes of the policy acting in {@code mode}, dealt evenly over {@code envs} copies (each
     * copy's first ones count), each step shown to {@code observer} (may be null).
     */
    public static List<Episode> episodes(EnvRegistry registry, String envId, Config overrides, Policy policy,
                                         int episodes, int envs, long seed, Mode mode, StepObserver observer) {
        List<Episode> done = new ArrayList<>();
        // each copy plays a fixed quota of episodes, the first ones it is dealt: counting episodes in the order they
        // end would favour short ones (the long, failing episodes still running at the end would be dropped)
        int[] quota = new int[envs];
        for (int e = 0; e < envs; e++) {
            quota[e] = episodes / envs + (e < episodes % envs ? 1 : 0);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] probs = new double[0];
        try (VectorEnv vec = VectorEnv.of(() -> registry.make(envId, overrides), envs)) {
            vec.setEpisodeListener((i, ret, len, term, success) -> {
                if (quota[i] > 0) {
                    quota[i]--;
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
                if (probs.length < n) {
                    probs = new double[n];
                }
                for (int e = 0; e < envs; e++) {
                    actions[e] = mode == Mode.GREEDY ? Categorical.argmax(eval.logits(), e * n, n)
                            : Categorical.sample(eval.logits(), e * n, n, probs, rng);
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
