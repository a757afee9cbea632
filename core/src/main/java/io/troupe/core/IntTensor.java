package io.troupe.core;

import java.util.Arrays;

/** A INT32 tensor backed by a {@code int[]} in row-major order. Compares by shape and content. */
public record IntTensor(int[] shape, int[] data) implements Tensor {
    public IntTensor {
        if (shape == null || data == null) {
            throw new IllegalArgumentException("IntTensor needs a shape and data");
        }
        int n = Shapes.size(shape);
        if (data.length != n) {
            throw new IllegalArgumentException(
                    "INT32 tensor of shape " + Shapes.format(shape) + " needs " + n + " elements, got " + data.length);
        }
    }

    /** A 1-D tensor over {@code values} (not copied). */
    public static IntTensor of(int... values) {
        return new IntTensor(new int[] {values.length}, values);
    }

    @Override
    public DType dtype() {
        return DType.INT32;
    }

    @Override
    public double getDouble(int i) {
        return data[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IntTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return describe() + (data.length <= 16 ? Arrays.toString(data) : "");
    }
}
