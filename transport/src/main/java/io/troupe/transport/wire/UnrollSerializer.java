package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;

/** An unroll as its arrays, written whole. */
public final class UnrollSerializer extends Serializer<Unroll> {
    private final ObservationBatchSerializer observations = new ObservationBatchSerializer();

    @Override
    public void write(Kryo kryo, Output out, Unroll u) {
        out.writeString(u.producerId());
        out.writeVarLong(u.sequence(), true);
        out.writeVarLong(u.policyVersion(), false); // -1: acted before the first published version
        out.writeVarLong(u.rewardVersion(), false);
        observations.write(kryo, out, u.observations());
        Arrays.writeInts(out, u.discreteActions());
        Arrays.writeFloats(out, u.continuousActions());
        Arrays.writeFloats(out, u.rewards());
        Arrays.writeBooleans(out, u.terminated());
        Arrays.writeBooleans(out, u.truncated());
        Arrays.writeFloats(out, u.behaviourLogits());
        Arrays.writeFloats(out, u.behaviourLogProbs());
        Arrays.writeFloats(out, u.values());
        Arrays.writeFloats(out, u.truncationValues());
    }

    @Override
    public Unroll read(Kryo kryo, Input in, Class<? extends Unroll> type) {
        String producer = Arrays.readString(in, "Unroll.producerId");
        long sequence = in.readVarLong(true);
        long policyVersion = in.readVarLong(false);
        long rewardVersion = in.readVarLong(false);
        ObservationBatch obs = observations.read(kryo, in, ObservationBatch.class);
        return new Unroll(producer, sequence, obs, Arrays.readInts(in, "Unroll.discreteActions"),
                Arrays.readFloats(in, "Unroll.continuousActions"), Arrays.readFloats(in, "Unroll.rewards"),
                Arrays.readBooleans(in, "Unroll.terminated"), Arrays.readBooleans(in, "Unroll.truncated"),
                Arrays.readFloats(in, "Unroll.behaviourLogits"), Arrays.readFloats(in, "Unroll.behaviourLogProbs"),
                Arrays.readFloats(in, "Unroll.values"), policyVersion, rewardVersion,
                Arrays.readFloats(in, "Unroll.truncationValues"));
    }
}
