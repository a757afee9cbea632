package io.troupe.learners.ppo;

import io.troupe.core.ObservationBatch;

/**
 * One rollout for a PPO update, time-major ({@code i = t * numEnvs + env}): observations, actions, behaviour
 * log-probabilities and values, and the advantages and returns computed by {@link Gae}.
 */
public record RolloutBatch(ObservationBatch observations, int[] actions, float[] logProbs, float[] values,
                           float[] advantages, float[] returns) {
    public RolloutBatch {
        int n = actions.length;
        if (observations.rows() != n || logProbs.length != n || values.length != n || advantages.length != n
                || returns.length != n) {
            throw new IllegalArgumentException("rollout arrays disagree on the batch size " + n);
        }
    }

    public int size() {
        return actions.length;
    }
}
