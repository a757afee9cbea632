package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;

/**
 * {@code String[]} in the format of Kryo's own {@code StringArraySerializer} without references (length + 1, 0 for
 * null, then the strings), with the length checked before the array is allocated.
 */
final class StringArraySerializer extends Serializer<String[]> {
    StringArraySerializer() {
        setAcceptsNull(true);
    }

    @Override
    public void write(Kryo kryo, Output out, String[] a) {
        if (a == null) {
            out.writeVarInt(0, true);
            return;
        }
        out.writeVarInt(a.length + 1, true);
        for (String s : a) {
            out.writeString(s);
        }
    }

    @Override
    public String[] read(Kryo kryo, Input in, Class<? extends String[]> type) {
        int n = in.readVarInt(true);
        if (n == 0) {
            return null;
        }
        String[] a = new String[Arrays.checked(in, n - 1L, 1, "String[]")];
        for (int i = 0; i < a.length; i++) {
            a[i] = in.readString();
        }
        return a;
    }
}
