package io.troupe.cluster.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The {@code troupe.train.evaluation} settings, read once and validated; every error names the key. During a cluster
 * run the learner's node plays the newest published policy greedily every {@code everyEnvSteps} env steps (the policy a
 * service answers with by default; as Stable-Baselines3's {@code EvalCallback}, which evaluates the deterministic
 * policy), and {@code solvedBy} says whether such an evaluation or the agents' 100-episode window decides "solved".
 *
 * @param everyEnvSteps env steps between evaluations; 0: none
 * @param episodes      episodes per evaluation, dealt evenly over the copies (each copy's first ones count)
 * @param envs          env copies an evaluation steps together (one batched inference per step)
 * @param seed          the first evaluation resets its copies from this seed; evaluation k (from 0) from
 *                      {@code seed + k * envs} ({@link #seedOf}): each plays new layouts, as Stable-Baselines3's eval
 *                      env, which is not reseeded, so evaluations in a row are independent samples
 * @param passes        how many evaluations in a row must reach the target before evaluations decide "solved" (one
 *                      lucky evaluation among many is less likely to end the run with a policy below the target)
 * @param solvedBy      what must reach the target for the run to end as solved
 */
public record EvaluationSettings(long everyEnvSteps, int episodes, int envs, long seed, int passes,
                                 SolvedBy solvedBy) {

    /** What decides that a run reached its target. */
    public enum SolvedBy {
        /** The 100-episode window of the agents' (sampled) episodes. */
        WINDOW,
        /** A greedy evaluation of the newest published policy. */
        EVALUATION;

        /** The config's spelling ({@code window}, {@code evaluation}). */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** No evaluations; the window decides. */
    public static final EvaluationSettings OFF = new EvaluationSettings(0, 1, 1, 0, 1, SolvedBy.WINDOW);

    public EvaluationSettings {
        if (everyEnvSteps < 0) {
            throw new IllegalArgumentException("troupe.train.evaluation.every-env-steps must be >= 0 (0: no "
                    + "evaluations), got " + everyEnvSteps);
        }
        if (episodes < 1) {
            throw new IllegalArgumentException("troupe.train.evaluation.episodes must be >= 1, got " + episodes);
        }
        if (envs < 1 || envs > episodes) {
            throw new IllegalArgumentException("troupe.train.evaluation.envs must be between 1 and episodes ("
                    + episodes + "), got " + envs);
        }
        if (passes < 1) {
            throw new IllegalArgumentException("troupe.train.evaluation.passes must be >= 1 (evaluations in a row "
                    + "that reach the target), got " + passes);
        }
        if (solvedBy == SolvedBy.EVALUATION && everyEnvSteps == 0) {
            throw new IllegalArgumentException("troupe.train.evaluation.solved-by = evaluation needs evaluations: "
                    + "set troupe.train.evaluation.every-env-steps > 0");
        }
    }

    /** Whether the run evaluates at all. */
    public boolean enabled() {
        return everyEnvSteps > 0;
    }

    /** The seed evaluation {@code k} (from 0) resets its copies from: new layouts for every evaluation. */
    public long seedOf(long k) {
        return seed + k * envs;
    }

    /** Reads {@code troupe.train.evaluation} from a resolved config. */
    public static EvaluationSettings fromConfig(Config root) {
        try {
            Config c = root.getConfig("troupe.train.evaluation");
            return new EvaluationSettings(c.getLong("every-env-steps"), c.getInt("episodes"), c.getInt("envs"),
                    c.getLong("seed"), c.getInt("passes"), solvedBy(c.getString("solved-by")));
        } catch (ConfigException.Missing | ConfigException.WrongType | ConfigException.BadValue e) {
            throw new IllegalArgumentException("troupe.train.evaluation: " + e.getMessage(), e);
        }
    }

    private static SolvedBy solvedBy(String id) {
        for (SolvedBy s : SolvedBy.values()) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("troupe.train.evaluation.solved-by: unknown value '" + id + "'; expected "
                + String.join(" or ", Arrays.stream(SolvedBy.values()).map(SolvedBy::id).toList()));
    }
}
