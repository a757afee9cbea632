package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.FloatBuffer;

/**
 * Writes Java values into an existing array in place (PyTorch's {@code index_put_}), on whatever device it lives.
 * {@code NDArray.set(Buffer)} is not used: it swaps the tensor's storage for one that wraps a Java buffer, which
 * dies with the handle, and newer libtorch builds refuse it on parameters ({@code set_stride is not allowed on a
 * Tensor created from .data or .detach()}, seen with the CUDA build).
 */
public final class InPlace {
    private InPlace() {
    }

    /**
     * A parameter's (or its gradient's) own storage on the CPU as a float buffer, row-major: reads see its values and
     * writes change them in place, with one native call and no copy either way. Valid while the array lives; the
     * caller keeps it no longer than that. Only for what is known to be contiguous: a model's parameters (DJL creates
     * them so) and their gradients (PyTorch lays a gradient out like its parameter); {@code InPlaceTest} checks both
     * for every model kind. For a non-contiguous array DJL would hand back a copy and writes would be lost.
     */
    public static FloatBuffer hostView(NDArray parameterOrGradient) {
        if (!parameterOrGradient.getDevice().getDeviceType().equals(Device.Type.CPU)
                || parameterOrGradient.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("a host view needs a float32 array on the CPU, not "
                    + parameterOrGradient.getDataType() + " on " + parameterOrGradient.getDevice());
        }
        return parameterOrGradient.toByteBuffer(true).asFloatBuffer();
    }

    /**
     * Copies {@code values} into a model parameter: on the CPU straight into its storage ({@link #hostView}, one
     * native call), elsewhere as {@link #copy} does.
     */
    public static void copyIntoParameter(NDArray parameter, float[] values) {
        if (parameter.getDevice().getDeviceType().equals(Device.Type.CPU)
                && parameter.getDataType() == DataType.FLOAT32) {
            requireSize(parameter, values);
            hostView(parameter).put(0, values);
        } else {
            copy(parameter, values);
        }
    }

    /** Copies {@code values} (as many as the array has elements, row-major) into {@code target}. */
    public static void copy(NDArray target, float[] values) {
        requireSize(target, values);
        GradMode.off(); // parameters require gradients: their in-place writes must not be recorded
        try (NDManager scope = target.getManager().newSubManager(target.getDevice())) {
            NDArray source = scope.create(values, target.getShape());
            scope.tempAttachAll(target);
            target.set(new NDIndex("..."), source);
        }
    }

    private static void requireSize(NDArray target, float[] values) {
        if (values.length != target.size()) {
            throw new IllegalArgumentException("cannot copy " + values.length + " values into an array of shape "
                    + target.getShape());
        }
    }
}
