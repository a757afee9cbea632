package io.troupe.core;

import java.util.Arrays;

/** A FLOAT32 tensor backed by a {@code float[]} in row-major order. Compares by shape and content. */
public record FloatTensor(int[] shape, float[] data) implements Tensor {
    public FloatTensor {
        if (shape == null || data == null) {
            throw new IllegalArgumentException("FloatTensor needs a shape and data");
        }
        int n = Shapes.size(shape);
        if (data.length != n) {
            throw new IllegalArgumentException(
                    "FLOAT32 tensor of shape " + Shapes.format(shape) + " needs " + n + " elements, got " + data.length);
        }
    }

    /** A 1-D tensor over {@code values} (not copied). */
    public static FloatTensor of(float... values) {
        return new FloatTensor(new int[] {values.length}, values);
    }

    @Override
    public DType dtype() {
        return DType.FLOAT32;
    }

    @Override
    public double getDouble(int i) {
        return data[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
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
