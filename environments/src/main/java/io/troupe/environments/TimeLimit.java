package io.troupe.environments;

import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;

/**
 * Truncates episodes after {@code maxEpisodeSteps} steps, as Gymnasium's {@code TimeLimit}: the step that reaches the
 * limit reports {@code truncated = true} (whether or not it also terminated). Stepping after a truncation, before a
 * reset, fails like stepping after termination.
 */
public final class TimeLimit extends EnvWrapper {
    private final int maxEpisodeSteps;
    private final EnvSpec spec;
    private int elapsed = -1;

    public TimeLimit(Env inner, int maxEpisodeSteps) {
        super(inner);
        if (maxEpisodeSteps < 1) {
            throw new IllegalArgumentException(inner.spec().id() + ": max-episode-steps must be >= 1, got "
                    + maxEpisodeSteps);
        }
        this.maxEpisodeSteps = maxEpisodeSteps;
        this.spec = inner.spec().withMaxEpisodeSteps(maxEpisodeSteps);
    }

    public int maxEpisodeSteps() {
        return maxEpisodeSteps;
    }

    /** Steps taken in the current episode. */
    public int elapsedSteps() {
        return Math.max(elapsed, 0);
    }

    @Override
    public EnvSpec spec() {
        return spec;
    }

    @Override
    public Observation reset(long seed) {
        elapsed = 0;
        return inner.reset(seed);
    }

    @Override
    public Observation reset() {
        elapsed = 0;
        return inner.reset();
    }

    @Override
    public void resetInto(long seed, ObservationBatch out, int row) {
        elapsed = 0;
        inner.resetInto(seed, out, row);
    }

    @Override
    public void resetInto(ObservationBatch out, int row) {
        elapsed = 0;
        inner.resetInto(out, row);
    }

    private void beforeStep() {
        if (elapsed >= maxEpisodeSteps) {
            throw new IllegalStateException(spec.id() + ": step() called after the episode was truncated at "
                    + maxEpisodeSteps + " steps; call reset() first");
        }
    }

    @Override
    public StepResult step(Action action) {
        beforeStep();
        StepResult r = inner.step(action);
        if (++elapsed >= maxEpisodeSteps && !r.truncated()) {
            return new StepResult(r.observation(), r.reward(), r.terminated(), true, r.info());
        }
        return r;
    }

    @Override
    public void stepInto(Action action, ObservationBatch out, int row, StepOutcome outcome) {
        beforeStep();
        inner.stepInto(action, out, row, outcome);
        if (++elapsed >= maxEpisodeSteps) {
            outcome.truncated = true;
        }
    }
}
