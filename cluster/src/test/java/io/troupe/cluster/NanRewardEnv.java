package io.troupe.cluster;

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

/** A deliberately broken env for the CLI test: every tenth step returns a NaN reward. */
public final class NanRewardEnv extends AbstractEnv {
    private int t;

    public NanRewardEnv(EnvParams params) {
        super(EnvSpec.of(params.id(), Box.uniform(0, 1, DType.FLOAT32, 1), new Discrete(2)));
    }

    @Override
    protected void resetState(RandomGenerator rng) {
        t = rng.nextInt(3);
    }

    @Override
    protected void advance(Action action, StepOutcome out) {
        t++;
        out.reward = t % 10 == 0 ? Double.NaN : 1.0;
        out.terminated = t % 25 == 0;
    }

    @Override
    protected void writeObservation(ObservationBatch out, int row) {
        out.floats(0)[row] = (t % 10) / 10f;
    }
}
