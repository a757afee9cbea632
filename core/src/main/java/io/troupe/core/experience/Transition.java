package io.troupe.core.experience;

import io.troupe.core.ObservationBatch;
import java.util.Arrays;
import java.util.Objects;

/**
 * One (n-step) transition for off-policy learners: from {@code observation} (row 0 of {@code observations}) the
 * agent took {@code action} and then collected {@code reward} = sum of gamma^k r_{t+k} over n steps; {@code discount}
 * is gamma^n, or 0 when the episode terminated within the n steps; row 1 is the observation n steps later.
 *
 * @param observations 2 rows: the observation, and the observation n steps later
 * @param action       discrete index, or -1 when {@code continuousAction} is used
 */
public record Transition(String producerId, long sequence, ObservationBatch observations, int action,
                         float[] continuousAction, float reward, float discount, long policyVersion,
                         long rewardVersion) implements ReplayItem {
    public Transition {
        Objects.requireNonNull(producerId, "producerId");
        if (observations.rows() != 2) {
            throw new IllegalArgumentException("a transition holds 2 observations, got " + observations.rows());
        }
        if ((action < 0) == (continuousAction.length == 0)) {
            throw new IllegalArgumentException("a transition holds either a discrete action >= 0 or a continuous one");
        }
        if (!(discount >= 0 && discount <= 1)) {
            throw new IllegalArgumentException("transition discount must be in [0, 1], got " + discount);
        }
    }

    @Override
    public int steps() {
        return 1;
    }

    @Override
    public long estimatedBytes() {
        return 48L + producerId.length() + 2L * observations.bytesPerRow() + 4L * continuousAction.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Transition t && producerId.equals(t.producerId) && sequence == t.sequence
                && action == t.action && Float.compare(reward, t.reward) == 0
                && Float.compare(discount, t.discount) == 0 && policyVersion == t.policyVersion
                && rewardVersion == t.rewardVersion && observations.equals(t.observations)
                && Arrays.equals(continuousAction, t.continuousAction);
    }

    @Override
    public int hashCode() {
        return Objects.hash(producerId, sequence, action, reward, discount);
    }
}
