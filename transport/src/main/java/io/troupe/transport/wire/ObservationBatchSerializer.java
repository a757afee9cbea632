package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import java.util.ArrayList;
import java.util.List;

/** Rows, then per modality: name, dtype, shape and the raw array (no per-element boxing). */
public final class ObservationBatchSerializer extends Serializer<ObservationBatch> {
    private static final DType[] DTYPES = DType.values();

    @Override
    public void write(Kryo kryo, Output out, ObservationBatch b) {
        out.writeVarInt(b.rows(), true);
        List<ObservationBatch.Modality> mods = b.modalities();
        out.writeVarInt(mods.size(), true);
        for (int m = 0; m < mods.size(); m++) {
            ObservationBatch.Modality mod = mods.get(m);
            out.writeString(mod.name());
            out.writeByte(mod.dtype().ordinal());
            out.writeVarInt(mod.shape().length, true);
            for (int d : mod.shape()) {
                out.writeVarInt(d, true);
            }
            int n = b.rows() * mod.elements();
            switch (mod.dtype()) {
                case FLOAT32 -> out.writeFloats(b.floats(m), 0, n);
                case UINT8 -> out.writeBytes(b.bytes(m), 0, n);
                case INT32 -> out.writeInts(b.ints(m), 0, n, false);
            }
        }
    }

    @Override
    public ObservationBatch read(Kryo kryo, Input in, Class<? extends ObservationBatch> type) {
        int rows = Arrays.length(in, 1, "ObservationBatch.rows");
        int count = Arrays.length(in, 1, "ObservationBatch.modalities");
        List<ObservationBatch.Modality> mods = new ArrayList<>(count);
        List<Object> arrays = new ArrayList<>(count);
        for (int m = 0; m < count; m++) {
            String name = Arrays.readString(in, "ObservationBatch.modalities[" + m + "].name");
            int ordinal = in.readByte();
            if (ordinal < 0 || ordinal >= DTYPES.length) {
                throw new KryoException("ObservationBatch.modalities[" + m + "].dtype: " + ordinal
                        + " is not a dtype (0.." + (DTYPES.length - 1) + ")");
            }
            DType dtype = DTYPES[ordinal];
            String field = "ObservationBatch.modalities[" + m + "] '" + name + "'";
            int[] shape = new int[Arrays.length(in, 1, field + ".shape")];
            long elements = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = Arrays.length(in, 1, field + ".shape[" + d + "]");
                elements = Math.min(elements * shape[d], Integer.MAX_VALUE + 1L); // no wrap: stays over any limit
            }
            int bytesEach = dtype == DType.FLOAT32 ? Float.BYTES : 1; // int32s are variable-length: >= 1 byte
            Arrays.checked(in, elements, bytesEach, field + " (one row)");
            int n = Arrays.checked(in, rows * elements, bytesEach, field + " (" + rows + " rows)");
            mods.add(new ObservationBatch.Modality(name, dtype, shape, (int) elements));
            arrays.add(switch (dtype) {
                case FLOAT32 -> in.readFloats(n);
                case UINT8 -> in.readBytes(n);
                case INT32 -> in.readInts(n, false);
            });
        }
        return ObservationBatch.of(rows, mods, arrays);
    }
}
