package io.troupe.learners;

import io.troupe.core.experience.Unroll;
import java.util.List;

/**
 * One algorithm's update, as each of Acme's agents owns its learner: the {@link Learner} actor samples a batch of
 * unrolls from replay and hands it over; the algorithm turns it into its own batch (PPO: GAE advantages; IMPALA:
 * V-trace targets) and steps the model. The actor publishes and checkpoints only after a step that was taken:
 *
 * <pre>{@code
 * List<Unroll> batch = sample(replayShards);           // the Learner actor
 * UpdateStep.Result r = step.update(batch, envSteps);  // the algorithm: PpoLearner, ImpalaLearner
 * if (!r.skipped()) { publish(model.weights(++version)); checkpointEvery(n); }
 * }</pre>
 *
 * A batch with a non-finite reward or behaviour log-probability, or whose loss or gradient is not finite, is skipped:
 * no parameter changes. Pure: no actors; not thread-safe (the learner's one thread calls it).
 */
public interface UpdateStep {

    /**
     * What one update did.
     *
     * @param skipped    no parameter changed (non-finite input, loss or gradient)
     * @param policyLoss the policy loss (NaN when skipped)
     * @param valueLoss  the value loss (NaN when skipped)
     * @param entropy    the policy's mean entropy on the batch, in nats (NaN when skipped or not reported)
     * @param approxKl   the approximate KL divergence between the policy that acted and the policy trained, the mean
     *                   of {@code (ratio - 1) - log ratio} over the batch's steps (Schulman's k3 estimator, CleanRL's
     *                   {@code approx_kl}); NaN when skipped or not reported
     */
    record Result(boolean skipped, double policyLoss, double valueLoss, double entropy, double approxKl) {
        public static final Result SKIPPED = new Result(true, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

        /** An update that reports its losses only (entropy and KL unknown). */
        public Result(boolean skipped, double policyLoss, double valueLoss) {
            this(skipped, policyLoss, valueLoss, Double.NaN, Double.NaN);
        }
    }

    /**
     * Trains on {@code unrolls} (all of one length, in a fixed order) after {@code envSteps} env steps consumed so far
     * (what a learning-rate schedule reads).
     */
    Result update(List<Unroll> unrolls, long envSteps);

    /** The algorithm's id, as {@link LearnerAlgorithm#id()} spells it. */
    String algorithm();

    /**
     * Whether every reward, behaviour log-probability and truncation value of {@code unrolls} is finite: corrupt
     * experience (a reward function that returned an infinity, a behaviour policy whose weights went bad) is refused
     * before it reaches the model.
     */
    static boolean finiteInputs(List<Unroll> unrolls) {
        for (Unroll u : unrolls) {
            if (!finite(u.rewards()) || !finite(u.behaviourLogProbs()) || !finite(u.truncationValues())
                    || !finite(u.values())) {
                return false;
            }
        }
        return true;
    }

    private static boolean finite(float[] a) {
        for (float f : a) {
            if (!Float.isFinite(f)) {
                return false;
            }
        }
        return true;
    }
}
