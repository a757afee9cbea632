package io.troupe.core;

import java.util.Arrays;

/** Small helpers for tensor shapes. */
public final class Shapes {
    private Shapes() {
    }

    /** Number of elements of a tensor of this shape; every dimension must be positive. */
    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a non-positive dimension");
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /** {@code [3, 32, 32]}. */
    public static String format(int[] shape) {
        return Arrays.toString(shape);
    }
}
