package io.troupe.transport.wire;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;

/**
 * A Kryo {@link Input} over one message's bytes that refuses, before allocating, any array or string whose length
 * prefix claims more than the maximum message size ({@code troupe.transport.max-message-bytes}): a forged length such
 * as 2^31-1 is a {@link KryoException} naming the length, never an {@link OutOfMemoryError}. This covers Kryo's own
 * serializers too (the built-in primitive-array and string reads go through these methods); Troupe's serializers
 * check each length first through {@link Arrays#length} so that the message also names the field.
 */
final class BoundedInput extends Input {
    private final int maxBytes;

    BoundedInput(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    int maxBytes() {
        return maxBytes;
    }

    /** Throws unless {@code count} elements of {@code elementBytes} each fit in {@code maxBytes}. */
    static void check(long count, int elementBytes, int maxBytes, String what) {
        if (count < 0 || count * elementBytes > maxBytes) {
            throw new KryoException(what + ": length " + count + " (" + elementBytes + " byte" + (elementBytes == 1
                    ? "" : "s") + " each) is over the maximum message size of " + maxBytes + " bytes "
                    + "(troupe.transport.max-message-bytes); refused before allocating");
        }
    }

    private void check(int count, int elementBytes, String what) {
        check(count, elementBytes, maxBytes, what);
    }

    @Override
    public byte[] readBytes(int length) {
        check(length, 1, "byte[]");
        return super.readBytes(length);
    }

    @Override
    public int[] readInts(int length) {
        check(length, 4, "int[]");
        return super.readInts(length);
    }

    @Override
    public int[] readInts(int length, boolean optimizePositive) {
        check(length, 1, "int[]"); // variable-length: at least one byte each
        return super.readInts(length, optimizePositive);
    }

    @Override
    public long[] readLongs(int length) {
        check(length, 8, "long[]");
        return super.readLongs(length);
    }

    @Override
    public long[] readLongs(int length, boolean optimizePositive) {
        check(length, 1, "long[]");
        return super.readLongs(length, optimizePositive);
    }

    @Override
    public float[] readFloats(int length) {
        check(length, 4, "float[]");
        return super.readFloats(length);
    }

    @Override
    public double[] readDoubles(int length) {
        check(length, 8, "double[]");
        return super.readDoubles(length);
    }

    @Override
    public short[] readShorts(int length) {
        check(length, 2, "short[]");
        return super.readShorts(length);
    }

    @Override
    public char[] readChars(int length) {
        check(length, 2, "char[]");
        return super.readChars(length);
    }

    @Override
    public boolean[] readBooleans(int length) {
        check(length, 1, "boolean[]");
        return super.readBooleans(length);
    }

    @Override
    public String readString() {
        checkStringLength();
        return super.readString();
    }

    @Override
    public StringBuilder readStringBuilder() {
        checkStringLength();
        return super.readStringBuilder();
    }

    /**
     * A UTF-8 string starts with its char count, and Kryo allocates that many chars before reading them: peek at the
     * count and check it (at least one byte a char). An ASCII string has no count (its last byte is marked), so what
     * it allocates follows the bytes actually there.
     */
    private void checkStringLength() {
        if (inputStream != null || position >= limit || (buffer[position] & 0x80) == 0) {
            return; // ASCII, or nothing left (Kryo's own read reports the underflow)
        }
        int start = position;
        int count = readVarIntFlag(true); // 0: null, 1: empty, n: n - 1 chars
        position = start;
        if (count > 1 || count < 0) {
            check(count - 1L, 1, maxBytes, "string");
        }
    }
}
