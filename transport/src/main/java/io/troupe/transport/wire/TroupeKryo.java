package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import com.typesafe.config.Config;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Pooled Kryo instances configured with Troupe's registrations (Kryo is not thread-safe): registration required, so
 * bytes naming an unregistered class are refused rather than instantiated; no references (messages are trees). Reads
 * refuse any array or string longer than the maximum message size before allocating it ({@link WireSettings}).
 */
public final class TroupeKryo {
    /** Largest record this codec writes (a replay snapshot's chunk of items is far above one message). */
    public static final int MAX_BYTES = 64 * 1024 * 1024;

    private final Pool<Kryo> kryos;
    private final Pool<Output> outputs;
    private final Pool<Input> inputs;

    /** With the default maximum message size ({@link WireSettings#DEFAULT_MAX_MESSAGE_BYTES}). */
    public TroupeKryo(KryoRegistrations registrations, ActorRefResolver resolver) {
        this(registrations, resolver, new WireSettings(WireSettings.DEFAULT_MAX_MESSAGE_BYTES));
    }

    public TroupeKryo(KryoRegistrations registrations, ActorRefResolver resolver, WireSettings settings) {
        int threads = Runtime.getRuntime().availableProcessors() * 4;
        this.kryos = new Pool<>(true, false, threads) {
            @Override
            protected Kryo create() {
                return newKryo(registrations, resolver);
            }
        };
        this.outputs = new Pool<>(true, false, threads) {
            @Override
            protected Output create() {
                return new Output(64 * 1024, MAX_BYTES);
            }
        };
        this.inputs = new Pool<>(true, false, threads) {
            @Override
            protected Input create() {
                return new BoundedInput(settings.maxMessageBytes());
            }
        };
        Kryo probe = kryos.obtain(); // fail fast on a bad registration, at start-up
        kryos.free(probe);
    }

    /** The registrations and wire settings of {@code config} (the root config). */
    public static TroupeKryo fromConfig(Config config, ActorRefResolver resolver) {
        return new TroupeKryo(KryoRegistrations.fromConfig(config), resolver, WireSettings.fromConfig(config));
    }

    static Kryo newKryo(KryoRegistrations registrations, ActorRefResolver resolver) {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        kryo.register(int[].class, 20);
        kryo.register(long[].class, 21);
        kryo.register(float[].class, 22);
        kryo.register(double[].class, 23);
        kryo.register(byte[].class, 24);
        kryo.register(boolean[].class, 25);
        kryo.register(String[].class, new StringArraySerializer(), 26);
        for (KryoRegistrations.Registration r : registrations.registrations()) {
            Serializer<?> s = KryoRegistrations.serializerFor(r, resolver);
            if (s == null) {
                kryo.register(r.type(), r.id());
            } else {
                kryo.register(r.type(), s, r.id());
            }
        }
        return kryo;
    }

    /** {@code value} with its class id. */
    public byte[] toBytes(Object value) {
        Kryo kryo = kryos.obtain();
        Output out = outputs.obtain();
        try {
            out.reset();
            kryo.writeClassAndObject(out, value);
            return out.toBytes();
        } finally {
            outputs.free(out);
            kryos.free(kryo);
        }
    }

    /** Writes {@code value} with its class id into {@code out}. */
    public void write(Output out, Object value) {
        Kryo kryo = kryos.obtain();
        try {
            kryo.writeClassAndObject(out, value);
        } finally {
            kryos.free(kryo);
        }
    }

    public Object fromBytes(byte[] bytes) {
        return fromBytes(bytes, 0, bytes.length);
    }

    public Object fromBytes(byte[] bytes, int offset, int length) {
        Kryo kryo = kryos.obtain();
        Input in = inputs.obtain();
        try {
            in.setBuffer(bytes, offset, length);
            return kryo.readClassAndObject(in);
        } finally {
            in.setBuffer(new byte[0]);
            inputs.free(in);
            kryos.free(kryo);
        }
    }
}
