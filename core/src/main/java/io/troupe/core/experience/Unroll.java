package io.troupe.core.experience;

import io.troupe.core.ObservationBatch;
import java.util.Arrays;
import java.util.Objects;

/**
 * A fixed-length sequence of T steps from one env copy, as on-policy (PPO) and IMPALA-style learners consume it.
 * Arrays are indexed by step {@code t} in {@code 0..T-1}; {@code observations} has T + 1 rows, the last being the
 * observation after step T-1 (for bootstrapping). When an episode ends at step t ({@code terminated[t]} or
 * {@code truncated[t]}), row t + 1 is the first observation of the next episode.
 *
 * @param producerId        the agent that produced it (with {@code sequence}: its identity, for dedupe and audits)
 * @param sequence          the producer's unroll counter
 * @param observations      T + 1 rows, one contiguous array per modality
 * @param discreteActions   T action indices, or empty for continuous actions
 * @param continuousActions T x action-dim values, or empty for discrete actions
 * @param rewards           T rewards, under reward version {@code rewardVersion}
 * @param behaviourLogits   T x num-actions logits of the behaviour policy (discrete), or empty
 * @param behaviourLogProbs T log-probabilities of the taken actions under the behaviour policy
 * @param values            T value estimates of the behaviour policy, or empty
 * @param truncationValues  T values, or empty: at a step truncated by a time limit (and not terminated), the
 *                          behaviour policy's value of the episode's final observation, which row t + 1 no longer
 *                          holds, so a learner can bootstrap the cut-off return; 0 at every other step
 */
public record Unroll(String producerId, long sequence, ObservationBatch observations, int[] discreteActions,
                     float[] continuousActions, float[] rewards, boolean[] terminated, boolean[] truncated,
                     float[] behaviourLogits, float[] behaviourLogProbs, float[] values, long policyVersion,
                     long rewardVersion, float[] truncationValues) implements ReplayItem {

    /** An unroll without truncation values (a learner treats a truncation like an episode's end). */
    public Unroll(String producerId, long sequence, ObservationBatch observations, int[] discreteActions,
                  float[] continuousActions, float[] rewards, boolean[] terminated, boolean[] truncated,
                  float[] behaviourLogits, float[] behaviourLogProbs, float[] values, long policyVersion,
                  long rewardVersion) {
        this(producerId, sequence, observations, discreteActions, continuousActions, rewards, terminated, truncated,
                behaviourLogits, behaviourLogProbs, values, policyVersion, rewardVersion, new float[0]);
    }

    public Unroll {
        Objects.requireNonNull(producerId, "producerId");
        Objects.requireNonNull(observations, "observations");
        int t = rewards.length;
        if (t < 1) {
            throw new IllegalArgumentException("an unroll needs at least one step");
        }
        if (observations.rows() != t + 1) {
            throw new IllegalArgumentException("an unroll of " + t + " steps needs " + (t + 1) + " observations, got "
                    + observations.rows());
        }
        if ((discreteActions.length == 0) == (continuousActions.length == 0)) {
            throw new IllegalArgumentException("an unroll holds either discrete or continuous actions");
        }
        if (discreteActions.length != 0 && discreteActions.length != t) {
            throw new IllegalArgumentException(t + " steps but " + discreteActions.length + " actions");
        }
        if (continuousActions.length % t != 0) {
            throw new IllegalArgumentException(t + " steps but " + continuousActions.length + " action values");
        }
        if (terminated.length != t || truncated.length != t || behaviourLogProbs.length != t
                || (values.length != 0 && values.length != t) || behaviourLogits.length % t != 0
                || (truncationValues.length != 0 && truncationValues.length != t)) {
            throw new IllegalArgumentException("unroll arrays disagree on the length " + t);
        }
    }

    /** Whether the producer recorded truncation values (see {@code truncationValues}). */
    public boolean hasTruncationValues() {
        return truncationValues.length != 0;
    }

    /** T. */
    public int length() {
        return rewards.length;
    }

    @Override
    public int steps() {
        return rewards.length;
    }

    @Override
    public long estimatedBytes() {
        return 64L + producerId.length() + (long) observations.rows() * observations.bytesPerRow()
                + 4L * (discreteActions.length + continuousActions.length + rewards.length + behaviourLogits.length
                + behaviourLogProbs.length + values.length + truncationValues.length) + 2L * rewards.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Unroll u && producerId.equals(u.producerId) && sequence == u.sequence
                && policyVersion == u.policyVersion && rewardVersion == u.rewardVersion
                && observations.equals(u.observations) && Arrays.equals(discreteActions, u.discreteActions)
                && Arrays.equals(continuousActions, u.continuousActions) && Arrays.equals(rewards, u.rewards)
                && Arrays.equals(terminated, u.terminated) && Arrays.equals(truncated, u.truncated)
                && Arrays.equals(behaviourLogits, u.behaviourLogits)
                && Arrays.equals(behaviourLogProbs, u.behaviourLogProbs) && Arrays.equals(values, u.values)
                && Arrays.equals(truncationValues, u.truncationValues);
    }

    @Override
    public int hashCode() {
        return Objects.hash(producerId, sequence, policyVersion, rewardVersion, Arrays.hashCode(rewards));
    }

    @Override
    public String toString() {
        return "Unroll(" + producerId + "#" + sequence + ", " + length() + " steps, policy v" + policyVersion
                + ", reward v" + rewardVersion + ")";
    }
}
