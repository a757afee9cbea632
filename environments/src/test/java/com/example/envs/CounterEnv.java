package com.example.envs;

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

/** A researcher's env outside Troupe's packages, registered from HOCON in the tests: count up to a target. */
public final class CounterEnv extends AbstractEnv {
    private final int target;
    private int count;

    public CounterEnv(EnvParams params) {
        super(EnvSpec.of(params.id(), Box.uniform(0, 1000, DType.FLOAT32, 1), new Discrete(2)));
        this.target = params.intParam("target", 3, 1, 1000);
    }

    @Override
    protected void resetState(RandomGenerator rng) {
        count = rng.nextInt(2);
    }

    @Override
    protected void advance(Action action, StepOutcome out) {
        count += ((Action.Discrete) action).index();
        out.reward = ((Action.Discrete) action).index();
        out.terminated = count >= target;
    }

    @Override
    protected void writeObservation(ObservationBatch out, int row) {
        out.floats(0)[row] = count;
    }

    public int target() {
        return target;
    }
}
