package io.troupe.core;

/**
 * A named modality's value: a shape plus a plain backing array ({@code float[]}, {@code byte[]} for uint8, {@code int[]}).
 * Tensors cross actor boundaries as these arrays; native tensors never do. Implementations compare by content.
 * The backing array is not copied: a tensor handed out must not be mutated afterwards.
 */
public sealed interface Tensor permits FloatTensor, ByteTensor, IntTensor {
    DType dtype();

    int[] shape();

    /** Number of elements. */
    default int size() {
        return Shapes.size(shape());
    }

    /** Element {@code i} (row-major) as a double; uint8 elements are read unsigned. */
    double getDouble(int i);

    /** A one-line description such as {@code float32[4]}. */
    default String describe() {
        return dtype().label() + Shapes.format(shape());
    }

    /** A zero tensor of the given type and shape. */
    static Tensor zeros(DType dtype, int... shape) {
        int n = Shapes.size(shape);
        return switch (dtype) {
            case FLOAT32 -> new FloatTensor(shape, new float[n]);
            case UINT8 -> new ByteTensor(shape, new byte[n]);
            case INT32 -> new IntTensor(shape, new int[n]);
        };
    }
}
