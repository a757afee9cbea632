package io.troupe.actors.acting;

import io.troupe.core.Categorical;
import io.troupe.core.Policy;
import io.troupe.environments.VectorEnv;
import java.util.random.RandomGenerator;

/**
 * One acting step of a vectorized env's K copies with a {@link Policy}, shared by the Agent actor and the
 * single-threaded reference PPO run: one batched evaluation of the current observations, an action sampled per copy
 * from the softmax of its logits (with its log-probability and the value estimate), one step of every copy, and, where
 * a time limit cut an episode off (truncated, not terminated), the policy's value of the episode's final observation so
 * a learner can bootstrap the cut-off return. Pure: no actors. Not thread-safe (one per acting loop).
 *
 * <p>The observations acted on are {@code envs.observations()} before {@link #act()}: stepping replaces them, so a
 * caller that keeps them copies them first.
 */
public final class ActingStep {

    /**
     * What one step did, per copy {@code e}: {@code logits} holds K rows of {@code numActions};
     * {@code truncationValues[e]} is the value of copy e's final observation where a time limit cut its episode off,
     * 0 elsewhere.
     */
    public record Acted(int[] actions, float[] logProbs, float[] values, float[] logits, int numActions,
                        float[] rewards, boolean[] terminated, boolean[] truncated, float[] truncationValues) {

        /** Whether a time limit (not a termination) ended copy {@code e}'s episode at this step. */
        public boolean cutOff(int e) {
            return truncated[e] && !terminated[e];
        }
    }

    private final Policy policy;
    private final VectorEnv envs;
    private final RandomGenerator rng;
    private double[] probs = new double[0];

    /** Acts with {@code policy} (its weights may change between steps) on {@code envs}, sampling with {@code rng}. */
    public ActingStep(Policy policy, VectorEnv envs, RandomGenerator rng) {
        this.policy = policy;
        this.envs = envs;
        this.rng = rng;
    }

    /** Evaluates, samples, steps and values the cut-off episodes: see the class comment. */
    public Acted act() {
        int k = envs.size();
        Policy.Evaluation eval = policy.evaluate(envs.observations());
        int n = eval.actions();
        if (probs.length < n) {
            probs = new double[n];
        }
        int[] actions = new int[k];
        float[] logProbs = new float[k];
        float[] values = new float[k];
        for (int e = 0; e < k; e++) {
            int a = Categorical.sample(eval.logits(), e * n, n, probs, rng);
            actions[e] = a;
            logProbs[e] = (float) Math.log(probs[a]);
            values[e] = eval.values()[e];
        }
        envs.step(actions);
        float[] rewards = new float[k];
        boolean[] terminated = envs.terminated().clone();
        boolean[] truncated = envs.truncated().clone();
        float[] truncationValues = new float[k];
        boolean anyCutOff = false;
        for (int e = 0; e < k; e++) {
            rewards[e] = (float) envs.rewards()[e];
            anyCutOff |= truncated[e] && !terminated[e];
        }
        if (anyCutOff) { // row e of the final observations is copy e's last observation of the ended episode
            float[] finalValues = policy.evaluate(envs.finalObservations()).values();
            for (int e = 0; e < k; e++) {
                if (truncated[e] && !terminated[e]) {
                    truncationValues[e] = finalValues[e];
                }
            }
        }
        return new Acted(actions, logProbs, values, eval.logits(), n, rewards, terminated, truncated,
                truncationValues);
    }
}
