package io.troupe.replay.adder;

import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Transition;
import io.troupe.core.space.Space;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one env copy's steps into n-step transitions (Acme's {@code NStepTransitionAdder}): the transition from step t
 * carries {@code R = r_t + gamma r_{t+1} + ... + gamma^{m-1} r_{t+m-1}}, the observation m steps later, and the discount
 * {@code gamma^m}, with m = n unless the episode ended first. When it terminated the discount is 0 (no bootstrap); when
 * it was truncated the discount stays {@code gamma^m} so the learner bootstraps from the final observation.
 * Single-threaded; one adder per env copy.
 */
public final class NStepTransitionAdder {
    private final int n;
    private final double gamma;
    private final Space observationSpace;
    private final String producerId;
    private final Observation[] observations;
    private final int[] actions;
    private final double[] rewards;
    private int start;
    private int count;
    private long sequence;
    private long policyVersion;
    private long rewardVersion;

    public NStepTransitionAdder(int n, double gamma, Space observationSpace, String producerId) {
        if (n < 1) {
            throw new IllegalArgumentException("n-step adder needs n >= 1, got " + n);
        }
        if (!(gamma >= 0 && gamma <= 1)) {
            throw new IllegalArgumentException("n-step adder needs gamma in [0, 1], got " + gamma);
        }
        this.n = n;
        this.gamma = gamma;
        this.observationSpace = observationSpace;
        this.producerId = producerId;
        this.observations = new Observation[n];
        this.actions = new int[n];
        this.rewards = new double[n];
    }

    /**
     * Records that from {@code observation} the agent took {@code action}, got {@code reward} and saw
     * {@code next}; returns the transitions that became complete.
     */
    public List<Transition> add(Observation observation, int action, double reward, boolean terminated,
                                boolean truncated, Observation next, long policyVersion, long rewardVersion) {
        this.policyVersion = policyVersion;
        this.rewardVersion = rewardVersion;
        int slot = (start + count) % n;
        observations[slot] = observation;
        actions[slot] = action;
        rewards[slot] = reward;
        count++;
        List<Transition> out = new ArrayList<>();
        if (terminated || truncated) {
            while (count > 0) {
                out.add(emit(next, terminated));
            }
            start = 0;
        } else if (count == n) {
            out.add(emit(next, false));
        }
        return out;
    }

    private Transition emit(Observation next, boolean terminated) {
        double ret = 0;
        double discount = 1;
        for (int k = 0; k < count; k++) {
            ret += discount * rewards[(start + k) % n];
            discount *= gamma;
        }
        ObservationBatch obs = ObservationBatch.forSpace(observationSpace, 2);
        obs.write(0, observations[start]);
        obs.write(1, next);
        Transition t = new Transition(producerId, sequence++, obs, actions[start], new float[0], (float) ret,
                terminated ? 0f : (float) discount, policyVersion, rewardVersion);
        observations[start] = null;
        start = (start + 1) % n;
        count--;
        return t;
    }
}
