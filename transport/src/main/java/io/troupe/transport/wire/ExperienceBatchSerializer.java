package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import java.util.ArrayList;
import java.util.List;

/** Items (each with its registered class id) and their priorities. */
public final class ExperienceBatchSerializer extends Serializer<ExperienceBatch> {
    @Override
    public void write(Kryo kryo, Output out, ExperienceBatch b) {
        out.writeVarInt(b.items().size(), true);
        for (ReplayItem item : b.items()) {
            kryo.writeClassAndObject(out, item);
        }
        Arrays.writeDoubles(out, b.priorities());
    }

    @Override
    public ExperienceBatch read(Kryo kryo, Input in, Class<? extends ExperienceBatch> type) {
        int n = Arrays.length(in, 1, "ExperienceBatch.items"); // each item takes at least a byte
        List<ReplayItem> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add((ReplayItem) kryo.readClassAndObject(in));
        }
        return new ExperienceBatch(items, Arrays.readDoubles(in, "ExperienceBatch.priorities"));
    }
}
