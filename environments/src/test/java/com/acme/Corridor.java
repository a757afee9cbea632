package com.acme;

import io.troupe.core.Action;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.environments.AbstractEnv;
import io.troupe.environments.EnvParams;
import io.troupe.environments.StepOutcome;
import java.util.random.RandomGenerator;

/** The README's "bring your own environment" example, verbatim, so the guide is known to compile and pass. */
public final class Corridor extends AbstractEnv {
    private final int length;
    private int position;

    public Corridor(EnvParams params) {                     // the registry passes the params block
        super(EnvSpec.of(params.id(), Box.uniform(0, 1, DType.FLOAT32, 1), new Discrete(2)));
        this.length = params.intParam("length", 10, 2, 1000);  // key, default, min, max
    }

    @Override protected void resetState(RandomGenerator rng) { position = rng.nextInt(length / 2); }

    @Override protected void advance(Action action, StepOutcome out) {
        position += ((Action.Discrete) action).index() == 1 ? 1 : -1;
        position = Math.max(position, 0);
        out.terminated = position == length;
        out.reward = out.terminated ? 1.0 : -0.01;
    }

    @Override protected void writeObservation(ObservationBatch out, int row) {
        out.floats(0)[row] = (float) position / length;
    }
}
