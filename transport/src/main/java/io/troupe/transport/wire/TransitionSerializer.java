package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Transition;

/** A transition as its fields and arrays. */
public final class TransitionSerializer extends Serializer<Transition> {
    private final ObservationBatchSerializer observations = new ObservationBatchSerializer();

    @Override
    public void write(Kryo kryo, Output out, Transition t) {
        out.writeString(t.producerId());
        out.writeVarLong(t.sequence(), true);
        out.writeVarLong(t.policyVersion(), true);
        out.writeVarLong(t.rewardVersion(), true);
        observations.write(kryo, out, t.observations());
        out.writeVarInt(t.action(), false);
        Arrays.writeFloats(out, t.continuousAction());
        out.writeFloat(t.reward());
        out.writeFloat(t.discount());
    }

    @Override
    public Transition read(Kryo kryo, Input in, Class<? extends Transition> type) {
        String producer = Arrays.readString(in, "Transition.producerId");
        long sequence = in.readVarLong(true);
        long policyVersion = in.readVarLong(true);
        long rewardVersion = in.readVarLong(true);
        ObservationBatch obs = observations.read(kryo, in, ObservationBatch.class);
        int action = in.readVarInt(false);
        float[] continuous = Arrays.readFloats(in, "Transition.continuousAction");
        return new Transition(producer, sequence, obs, action, continuous, in.readFloat(), in.readFloat(),
                policyVersion, rewardVersion);
    }
}
