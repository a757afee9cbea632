package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Direct buffers that an inference's inputs are staged in, one per modality, kept and grown to the largest batch seen.
 * DJL's {@code NDManager.create} of a Java array allocates a fresh direct buffer for every tensor (and PyTorch then
 * aliases it): at an agent's tens of thousands of forward passes a second that was a buffer and its {@code Cleaner}
 * per pass, and the cleaners were most of what the young collections of the acting pipeline copied (README, Acting
 * pipeline). A tensor made here aliases the staging buffer, so it must be closed before the next call for the same
 * modality overwrites it: only no-gradient passes whose scope closes at once use this. Not thread-safe: one per
 * thread ({@link #ofThisThread}), shared by every model the thread runs, since each pass closes its tensors first.
 */
final class InputStaging {
    private static final ThreadLocal<InputStaging> PER_THREAD = ThreadLocal.withInitial(InputStaging::new);

    private ByteBuffer[] buffers = new ByteBuffer[0];

    private InputStaging() {
    }

    /** This thread's staging buffers. */
    static InputStaging ofThisThread() {
        return PER_THREAD.get();
    }

    /** {@code count} floats of {@code src} from 0, as a tensor of {@code shape} in {@code scope}. */
    NDArray floats(NDManager scope, int modality, float[] src, int count, Shape shape) {
        ByteBuffer b = buffer(modality, count * Float.BYTES);
        b.asFloatBuffer().put(src, 0, count);
        return scope.create(b, shape, DataType.FLOAT32);
    }

    /** {@code count} ints of {@code src} from 0, as a tensor of {@code shape} in {@code scope}. */
    NDArray ints(NDManager scope, int modality, int[] src, int count, Shape shape) {
        ByteBuffer b = buffer(modality, count * Integer.BYTES);
        b.asIntBuffer().put(src, 0, count);
        return scope.create(b, shape, DataType.INT32);
    }

    /** {@code count} bytes of {@code src} from 0, as a tensor of {@code shape} in {@code scope}. */
    NDArray bytes(NDManager scope, int modality, byte[] src, int count, Shape shape) {
        ByteBuffer b = buffer(modality, count);
        b.put(src, 0, count).flip();
        return scope.create(b, shape, DataType.UINT8);
    }

    /** The modality's buffer at position 0 with exactly {@code bytes} remaining. */
    private ByteBuffer buffer(int modality, int bytes) {
        if (modality >= buffers.length) {
            buffers = Arrays.copyOf(buffers, modality + 1);
        }
        ByteBuffer b = buffers[modality];
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(Math.max(bytes, b == null ? 0 : 2 * b.capacity()))
                    .order(ByteOrder.nativeOrder());
            buffers[modality] = b;
        }
        b.clear().limit(bytes);
        return b;
    }
}
