package io.troupe.environments;

import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Base class for environments: it owns the seeded random stream and enforces the {@link Env} contract (reset before
 * step, no step after the episode ended, actions inside the action space), and derives the object API from three
 * allocation-free hooks, so a subclass writes only its dynamics:
 *
 * <ul>
 *   <li>{@link #resetState(RandomGenerator)}: draw a new initial state;</li>
 *   <li>{@link #advance(Action, StepOutcome)}: apply a (validated) action, set reward and flags;</li>
 *   <li>{@link #writeObservation(ObservationBatch, int)}: write the current observation into a batch row.</li>
 * </ul>
 */
public abstract class AbstractEnv implements Env {
    private final EnvSpec spec;
    private final int discreteActions;
    private final ObservationBatch scratch;
    private final StepOutcome scratchOutcome = new StepOutcome();
    private RandomGenerator rng;
    private boolean started;
    private boolean episodeOver;
    private String endReason = "";

    protected AbstractEnv(EnvSpec spec) {
        this.spec = spec;
        this.discreteActions = spec.actionSpace() instanceof Discrete d ? d.n() : -1;
        this.scratch = ObservationBatch.forSpace(spec.observationSpace(), 1);
    }

    /** Draws a new initial state from {@code rng}. */
    protected abstract void resetState(RandomGenerator rng);

    /** Applies a valid action: sets {@code out}'s reward, terminated, truncated and success. */
    protected abstract void advance(Action action, StepOutcome out);

    /** Writes the current observation into row {@code row} of {@code out}. */
    protected abstract void writeObservation(ObservationBatch out, int row);

    @Override
    public EnvSpec spec() {
        return spec;
    }

    /** The env's random stream (seeded by {@link #reset(long)}). */
    protected final RandomGenerator rng() {
        return rng;
    }

    @Override
    public final Observation reset(long seed) {
        resetInto(seed, scratch, 0);
        return scratch.read(0);
    }

    @Override
    public final Observation reset() {
        resetInto(scratch, 0);
        return scratch.read(0);
    }

    @Override
    public final StepResult step(Action action) {
        stepInto(action, scratch, 0, scratchOutcome);
        StepOutcome o = scratchOutcome;
        return new StepResult(scratch.read(0), o.reward, o.terminated, o.truncated, info(o));
    }

    /** The info map of a step on the object API: {@code success} when the episode ended and the env defines it. */
    protected Map<String, Object> info(StepOutcome outcome) {
        return spec.definesSuccess() && outcome.done() ? Map.of(StepResult.SUCCESS, outcome.success) : Map.of();
    }

    @Override
    public final void resetInto(long seed, ObservationBatch out, int row) {
        rng = new SplittableRandom(seed);
        begin(out, row);
    }

    @Override
    public final void resetInto(ObservationBatch out, int row) {
        if (rng == null) {
            rng = new SplittableRandom(0L);
        }
        begin(out, row);
    }

    private void begin(ObservationBatch out, int row) {
        resetState(rng);
        started = true;
        episodeOver = false;
        writeObservation(out, row);
    }

    @Override
    public final void stepInto(Action action, ObservationBatch out, int row, StepOutcome outcome) {
        if (!started) {
            throw new IllegalStateException(spec.id() + ": step() called before reset(); call reset(seed) first");
        }
        if (episodeOver) {
            throw new IllegalStateException(spec.id() + ": step() called after the episode ended (" + endReason
                    + "); call reset() first");
        }
        if (discreteActions >= 0) {
            if (!(action instanceof Action.Discrete d) || d.index() < 0 || d.index() >= discreteActions) {
                throw invalidAction(action);
            }
        } else if (!spec.actionSpace().contains(action)) {
            throw invalidAction(action);
        }
        outcome.set(0.0, false, false, false);
        advance(action, outcome);
        if (outcome.done()) {
            episodeOver = true;
            endReason = outcome.terminated ? "terminated" : "truncated";
        }
        writeObservation(out, row);
    }

    private IllegalArgumentException invalidAction(Action action) {
        Space space = spec.actionSpace();
        String why = space.violation(action).orElse("");
        return new IllegalArgumentException(spec.id() + ": invalid action " + action + " for action space "
                + space.describe() + (why.isEmpty() ? "" : " (" + why + ")"));
    }
}
