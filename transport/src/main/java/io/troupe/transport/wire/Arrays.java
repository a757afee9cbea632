package io.troupe.transport.wire;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * Length-prefixed primitive arrays, and the length check every read goes through: a length is refused, naming the
 * field, when its elements could not fit in the maximum message size ({@link BoundedInput}), before anything is
 * allocated.
 */
final class Arrays {
    private Arrays() {
    }

    /**
     * Reads a length (or a count of {@code elementBytes}-byte elements) for {@code field} and checks it against the
     * input's maximum message size.
     */
    static int length(Input in, int elementBytes, String field) {
        int n = in.readVarInt(true);
        BoundedInput.check(n, elementBytes, maxBytes(in), field);
        return n;
    }

    /** Checks a length computed from others (rows times elements), in {@code long} so a product cannot wrap. */
    static int checked(Input in, long n, int elementBytes, String field) {
        BoundedInput.check(n, elementBytes, maxBytes(in), field);
        return (int) n;
    }

    /** The input's maximum message size: the configured one for Troupe's inputs, the default for any other. */
    static int maxBytes(Input in) {
        return in instanceof BoundedInput b ? b.maxBytes() : WireSettings.DEFAULT_MAX_MESSAGE_BYTES;
    }

    /** A string, with {@code field} named when its length is refused. */
    static String readString(Input in, String field) {
        try {
            return in.readString();
        } catch (KryoException e) {
            e.addTrace(field);
            throw e;
        }
    }

    static void writeFloats(Output out, float[] a) {
        out.writeVarInt(a.length, true);
        out.writeFloats(a, 0, a.length);
    }

    static float[] readFloats(Input in, String field) {
        return in.readFloats(length(in, Float.BYTES, field));
    }

    static void writeInts(Output out, int[] a) {
        out.writeVarInt(a.length, true);
        out.writeInts(a, 0, a.length, false);
    }

    static int[] readInts(Input in, String field) {
        return in.readInts(length(in, 1, field), false); // variable-length ints: at least a byte each
    }

    static void writeLongs(Output out, long[] a) {
        out.writeVarInt(a.length, true);
        out.writeLongs(a, 0, a.length, false);
    }

    static long[] readLongs(Input in, String field) {
        return in.readLongs(length(in, 1, field), false);
    }

    static void writeBytes(Output out, byte[] a) {
        out.writeVarInt(a.length, true);
        out.writeBytes(a);
    }

    static byte[] readBytes(Input in, String field) {
        return in.readBytes(length(in, 1, field));
    }

    static void writeBooleans(Output out, boolean[] a) {
        out.writeVarInt(a.length, true);
        out.writeBooleans(a, 0, a.length);
    }

    static boolean[] readBooleans(Input in, String field) {
        return in.readBooleans(length(in, 1, field));
    }

    static void writeDoubles(Output out, double[] a) {
        out.writeVarInt(a.length, true);
        out.writeDoubles(a, 0, a.length);
    }

    static double[] readDoubles(Input in, String field) {
        return in.readDoubles(length(in, Double.BYTES, field));
    }
}
