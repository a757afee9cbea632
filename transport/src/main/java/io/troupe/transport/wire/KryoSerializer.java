package io.troupe.transport.wire;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko's serializer for every {@link io.troupe.core.CrossNode} message (bound in {@code reference.conf}): Kryo with
 * registration required, classes and ids from {@link KryoRegistrations}. Java serialization stays off.
 */
public final class KryoSerializer extends JSerializer {
    /** Pekko serializer id. */
    public static final int IDENTIFIER = 7_341_201;

    private final TroupeKryo kryo;

    public KryoSerializer(ExtendedActorSystem system) {
        ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
        this.kryo = TroupeKryo.fromConfig(system.settings().config(), resolver);
    }

    @Override
    public int identifier() {
        return IDENTIFIER;
    }

    @Override
    public boolean includeManifest() {
        return false;
    }

    @Override
    public byte[] toBinary(Object o) {
        return kryo.toBytes(o);
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
        return kryo.fromBytes(bytes);
    }
}
