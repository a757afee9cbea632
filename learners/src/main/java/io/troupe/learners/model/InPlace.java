package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * Writes Java values into an existing array in place (PyTorch's {@code index_put_}), on whatever device it lives.
 * {@code NDArray.set(Buffer)} is not used: it swaps the tensor's storage for one that wraps a Java buffer, which
 * dies with the handle, and newer libtorch builds refuse it on parameters ({@code set_stride is not allowed on a
 * Tensor created from .data or .detach()}, seen with the CUDA build).
 */
public final class InPlace {
    private InPlace() {
    }

    /** Copies {@code values} (as many as the array has elements, row-major) into {@code target}. */
    public static void copy(NDArray target, float[] values) {
        if (values.length != target.size()) {
            throw new IllegalArgumentException("cannot copy " + values.length + " values into an array of shape "
                    + target.getShape());
        }
        GradMode.off(); // parameters require gradients: their in-place writes must not be recorded
        try (NDManager scope = target.getManager().newSubManager(target.getDevice())) {
            NDArray source = scope.create(values, target.getShape());
            scope.tempAttachAll(target);
            target.set(new NDIndex("..."), source);
        }
    }
}
