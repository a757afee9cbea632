package io.troupe.core;

import java.util.Arrays;

/** A UINT8 tensor backed by a {@code byte[]} in row-major order. Compares by shape and content. */
public record ByteTensor(int[] shape, byte[] data) implements Tensor {
    public ByteTensor {
        if (shape == null || data == null) {
            throw new IllegalArgumentException("ByteTensor needs a shape and data");
        }
        int n = Shapes.size(shape);
        if (data.length != n) {
            throw new IllegalArgumentException(
                    "UINT8 tensor of shape " + Shapes.format(shape) + " needs " + n + " elements, got " + data.length);
        }
    }

    /** A 1-D tensor over {@code values} (not copied). */
    public static ByteTensor of(byte... values) {
        return new ByteTensor(new int[] {values.length}, values);
    }

    @Override
    public DType dtype() {
        return DType.UINT8;
    }

    @Override
    public double getDouble(int i) {
        return data[i] & 0xFF;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
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
