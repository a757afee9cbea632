package io.troupe.environments;

import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;

/** An env that delegates to another; subclasses change one aspect (time limit, reward, observation). */
public abstract class EnvWrapper implements Env {
    protected final Env inner;

    protected EnvWrapper(Env inner) {
        if (inner == null) {
            throw new IllegalArgumentException("wrapped env is null");
        }
        this.inner = inner;
    }

    /** The wrapped env. */
    public Env inner() {
        return inner;
    }

    /** The innermost env, under every wrapper. */
    public Env unwrapped() {
        Env e = inner;
        while (e instanceof EnvWrapper w) {
            e = w.inner;
        }
        return e;
    }

    @Override
    public EnvSpec spec() {
        return inner.spec();
    }

    @Override
    public Observation reset(long seed) {
        return inner.reset(seed);
    }

    @Override
    public Observation reset() {
        return inner.reset();
    }

    @Override
    public StepResult step(Action action) {
        return inner.step(action);
    }

    @Override
    public void resetInto(long seed, ObservationBatch out, int row) {
        inner.resetInto(seed, out, row);
    }

    @Override
    public void resetInto(ObservationBatch out, int row) {
        inner.resetInto(out, row);
    }

    @Override
    public void stepInto(Action action, ObservationBatch out, int row, StepOutcome outcome) {
        inner.stepInto(action, out, row, outcome);
    }

    @Override
    public void close() {
        inner.close();
    }
}
