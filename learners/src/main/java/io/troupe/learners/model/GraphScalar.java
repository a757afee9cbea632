package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;

/**
 * A scalar operand that lives as long as the array it multiplies. DJL's {@code mul(Number)} (and {@code div}) makes
 * the scalar a tensor over a direct Java buffer and closes it at once; when the other operand records a gradient,
 * PyTorch's graph keeps that tensor for the backward pass, and a garbage collection in between frees its memory, so
 * the backward pass reads garbage (seen: two identical PPO runs whose weights differed by 1e-3 after 16 steps, only
 * when a collection happened between forward and backward). Created in the array's own manager (the step's scope)
 * and on its device, the scalar outlives the backward pass.
 */
public final class GraphScalar {
    private GraphScalar() {
    }

    /** {@code v} as a 0-d array in {@code like}'s manager, on its device. */
    public static NDArray of(NDArray like, float v) {
        return like.getManager().create(v).toDevice(like.getDevice(), false);
    }
}
