package io.troupe.environments;

import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;

/**
 * An environment, Gymnasium-sized. The loop it takes part in:
 *
 * <pre>{@code
 * Observation obs = env.reset(seed);          // seeded: the same seed gives the same episode
 * while (true) {
 *     StepResult r = env.step(policy.act(obs));
 *     if (r.done()) obs = env.reset();        // reset() continues the seeded random stream
 *     else obs = r.observation();
 * }
 * }</pre>
 *
 * Contract (checked by {@link io.troupe.environments.check.EnvChecker}): observations lie in
 * {@code spec().observationSpace()}; {@code step} before the first {@code reset}, or after the episode ended, throws
 * {@link IllegalStateException}; an action outside {@code spec().actionSpace()} throws
 * {@link IllegalArgumentException} naming the action and the space; rewards are finite; seeded reset and stepping
 * are deterministic. {@link AbstractEnv} implements these checks; extend it.
 *
 * <p>The {@code *Into} methods are the allocation-free path a {@link VectorEnv} uses: they write the observation
 * into a row of an {@link ObservationBatch}. Their defaults go through the object API; fast envs override them.
 * An environment is used by one thread at a time.
 */
public interface Env extends AutoCloseable {

    EnvSpec spec();

    /** Starts an episode from the random stream seeded with {@code seed}. */
    Observation reset(long seed);

    /** Starts an episode continuing the current random stream (seed 0 if the env was never seeded). */
    Observation reset();

    /** Applies {@code action} and returns what happened. */
    StepResult step(Action action);

    /** Releases resources; the env is not used afterwards. */
    @Override
    default void close() {
    }

    /** {@link #reset(long)} writing the observation into {@code out} at {@code row}. */
    default void resetInto(long seed, ObservationBatch out, int row) {
        out.write(row, reset(seed));
    }

    /** {@link #reset()} writing the observation into {@code out} at {@code row}. */
    default void resetInto(ObservationBatch out, int row) {
        out.write(row, reset());
    }

    /** {@link #step} writing the observation into {@code out} at {@code row} and the rest into {@code outcome}. */
    default void stepInto(Action action, ObservationBatch out, int row, StepOutcome outcome) {
        StepResult r = step(action);
        out.write(row, r.observation());
        outcome.set(r.reward(), r.terminated(), r.truncated(), Boolean.TRUE.equals(r.info().get(StepResult.SUCCESS)));
    }
}
