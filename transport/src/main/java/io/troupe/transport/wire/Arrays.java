package io.troupe.transport.wire;

import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/** Length-prefixed primitive arrays. */
final class Arrays {
    private Arrays() {
    }

    static void writeFloats(Output out, float[] a) {
        out.writeVarInt(a.length, true);
        out.writeFloats(a, 0, a.length);
    }

    static float[] readFloats(Input in) {
        return in.readFloats(in.readVarInt(true));
    }

    static void writeInts(Output out, int[] a) {
        out.writeVarInt(a.length, true);
        out.writeInts(a, 0, a.length, false);
    }

    static int[] readInts(Input in) {
        return in.readInts(in.readVarInt(true), false);
    }

    static void writeBooleans(Output out, boolean[] a) {
        out.writeVarInt(a.length, true);
        out.writeBooleans(a, 0, a.length);
    }

    static boolean[] readBooleans(Input in) {
        return in.readBooleans(in.readVarInt(true));
    }

    static void writeDoubles(Output out, double[] a) {
        out.writeVarInt(a.length, true);
        out.writeDoubles(a, 0, a.length);
    }

    static double[] readDoubles(Input in) {
        return in.readDoubles(in.readVarInt(true));
    }
}
