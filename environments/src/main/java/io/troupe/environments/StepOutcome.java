package io.troupe.environments;

/**
 * The scalar part of one step on the allocation-free path ({@link Env#stepInto}): a mutable holder reused across
 * steps, so a vectorized env allocates nothing per step. The observation goes straight into an
 * {@link io.troupe.core.ObservationBatch} row.
 */
public final class StepOutcome {
    public double reward;
    public boolean terminated;
    public boolean truncated;
    /** Whether the episode ended in success (only meaningful when it ended and the env defines success). */
    public boolean success;

    public void set(double reward, boolean terminated, boolean truncated, boolean success) {
        this.reward = reward;
        this.terminated = terminated;
        this.truncated = truncated;
        this.success = success;
    }

    public boolean done() {
        return terminated || truncated;
    }
}
