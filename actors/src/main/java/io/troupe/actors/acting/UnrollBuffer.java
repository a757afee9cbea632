package io.troupe.actors.acting;

import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Space;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The unrolls an agent is filling: for each of K env copies, T steps of observations, actions, rewards, episode ends,
 * behaviour logits, log-probabilities and values, truncation values and the oldest reward version that produced a
 * reward. Each step is {@link #observe} (the observations about to be acted on) then {@link #record} (what the
 * {@link ActingStep} did); after T steps {@link #full()} holds and {@link #drain} turns the buffer into K
 * {@link Unroll}s and starts the next ones. Pure: no actors.
 */
public final class UnrollBuffer {
    private final Space observationSpace;
    private final int copies;
    private final int length;
    private final int numActions;
    private final List<ObservationBatch> observations = new ArrayList<>();
    private final int[][] actions;
    private final float[][] rewards;
    private final boolean[][] terminated;
    private final boolean[][] truncated;
    private final float[][] logits;
    private final float[][] logProbs;
    private final float[][] values;
    private final float[][] truncationValues;
    private final long[] rewardVersions;
    private int step;
    private boolean observed;

    /** A buffer of {@code copies} unrolls of {@code length} steps over {@code numActions} discrete actions. */
    public UnrollBuffer(Space observationSpace, int copies, int length, int numActions) {
        if (copies < 1 || length < 1 || numActions < 1) {
            throw new IllegalArgumentException("an unroll buffer needs copies, length and actions >= 1, got " + copies
                    + ", " + length + ", " + numActions);
        }
        this.observationSpace = observationSpace;
        this.copies = copies;
        this.length = length;
        this.numActions = numActions;
        this.actions = new int[copies][length];
        this.rewards = new float[copies][length];
        this.terminated = new boolean[copies][length];
        this.truncated = new boolean[copies][length];
        this.logits = new float[copies][length * numActions];
        this.logProbs = new float[copies][length];
        this.values = new float[copies][length];
        this.truncationValues = new float[copies][length];
        this.rewardVersions = new long[copies];
        startNext();
    }

    /** The step the next {@link #observe} fills (0: a new unroll starts). */
    public int step() {
        return step;
    }

    /** Whether T steps are recorded: {@link #drain} them. */
    public boolean full() {
        return step == length;
    }

    /** Copies row {@code e} of {@code current} (the observations about to be acted on) into copy e's unroll. */
    public void observe(ObservationBatch current) {
        if (full()) {
            throw new IllegalStateException("the unrolls are full: drain them first");
        }
        for (int e = 0; e < copies; e++) {
            current.copyRow(e, observations.get(e), step);
        }
        observed = true;
    }

    /**
     * Records what was done on the observed step; {@code rewardVersions[e]} is the reward version copy e's reward came
     * from (an unroll is tagged with the oldest of its steps').
     */
    public void record(ActingStep.Acted acted, long[] rewardVersionsOfStep) {
        if (!observed) {
            throw new IllegalStateException("observe the step's observations before recording it");
        }
        if (acted.numActions() != numActions || acted.actions().length != copies) {
            throw new IllegalArgumentException("a step of " + acted.actions().length + " copies and "
                    + acted.numActions() + " actions does not fit unrolls of " + copies + " copies and " + numActions
                    + " actions");
        }
        for (int e = 0; e < copies; e++) {
            actions[e][step] = acted.actions()[e];
            logProbs[e][step] = acted.logProbs()[e];
            values[e][step] = acted.values()[e];
            System.arraycopy(acted.logits(), e * numActions, logits[e], step * numActions, numActions);
            rewards[e][step] = acted.rewards()[e];
            terminated[e][step] = acted.terminated()[e];
            truncated[e][step] = acted.truncated()[e];
            truncationValues[e][step] = acted.truncationValues()[e];
            rewardVersions[e] = Math.min(rewardVersions[e], rewardVersionsOfStep[e]);
        }
        step++;
        observed = false;
    }

    /**
     * The K full unrolls, copy e's with sequence {@code firstSequence + e}, its last observation row copied from
     * {@code after} (the observations after the last step); the buffer then starts the next unrolls.
     *
     * @param policyVersion the oldest policy version that acted in them
     */
    public List<Unroll> drain(String producerId, long firstSequence, long policyVersion, ObservationBatch after) {
        if (!full()) {
            throw new IllegalStateException("the unrolls hold " + step + " of " + length + " steps");
        }
        List<Unroll> out = new ArrayList<>(copies);
        for (int e = 0; e < copies; e++) {
            after.copyRow(e, observations.get(e), length);
            out.add(new Unroll(producerId, firstSequence + e, observations.get(e), actions[e].clone(), new float[0],
                    rewards[e].clone(), terminated[e].clone(), truncated[e].clone(), logits[e].clone(),
                    logProbs[e].clone(), values[e].clone(), policyVersion, rewardVersions[e],
                    truncationValues[e].clone()));
        }
        startNext();
        return out;
    }

    private void startNext() {
        observations.clear();
        for (int e = 0; e < copies; e++) {
            observations.add(ObservationBatch.forSpace(observationSpace, length + 1));
        }
        Arrays.fill(rewardVersions, Long.MAX_VALUE);
        step = 0;
        observed = false;
    }
}
