package io.troupe.edge;

import java.util.Arrays;

/**
 * What an {@link EdgePolicy} chose for one observation.
 *
 * @param action        the action index (greedy: the most likely; or sampled)
 * @param logits        the policy head's logits, one per action
 * @param probabilities softmax of the logits
 * @param value         the value head's estimate of the return
 * @param policyVersion the learner's policy version the exported weights are from
 */
public record EdgeAction(int action, float[] logits, float[] probabilities, float value, long policyVersion) {

    @Override
    public boolean equals(Object o) {
        return o instanceof EdgeAction a && action == a.action && Arrays.equals(logits, a.logits)
                && Arrays.equals(probabilities, a.probabilities) && Float.compare(value, a.value) == 0
                && policyVersion == a.policyVersion;
    }

    @Override
    public int hashCode() {
        return (31 * Arrays.hashCode(logits) + action) * 31 + Long.hashCode(policyVersion);
    }

    @Override
    public String toString() {
        return "EdgeAction[action=" + action + ", logits=" + Arrays.toString(logits) + ", probabilities="
                + Arrays.toString(probabilities) + ", value=" + value + ", policyVersion=" + policyVersion + "]";
    }
}
