package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Serializes a record component by component, in declaration order: primitives, strings, enums, primitive arrays,
 * typed {@link ActorRef}s (as their serialization format, through {@link ActorRefResolver}), lists of actor refs (a
 * route), lists and optionals of registered values, and nested objects of registered classes. The default for
 * registered records, so protocol messages need no hand-written serializer; the hot types (unrolls, batches) have
 * their own.
 */
public final class RecordSerializer<T extends Record> extends Serializer<T> {
    private final Class<T> type;
    private final RecordComponent[] components;
    private final String[] fields;
    private final MethodHandle[] accessors;
    private final Constructor<T> constructor;
    private final ActorRefResolver resolver;
    /** Per component: a {@code List<ActorRef<...>>} (a route of actors), written as their serialization formats. */
    private final boolean[] refLists;

    public RecordSerializer(Class<T> type, ActorRefResolver resolver) {
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + " is not a record; give it a serializer");
        }
        this.type = type;
        this.resolver = resolver;
        this.components = type.getRecordComponents();
        this.accessors = new MethodHandle[components.length];
        this.fields = new String[components.length];
        this.refLists = new boolean[components.length];
        Class<?>[] types = new Class<?>[components.length];
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            for (int i = 0; i < components.length; i++) {
                Method m = components[i].getAccessor();
                m.setAccessible(true);
                accessors[i] = lookup.unreflect(m);
                types[i] = components[i].getType();
                fields[i] = type.getName() + "." + components[i].getName();
                refLists[i] = isListOfActorRefs(components[i].getGenericType());
            }
            this.constructor = type.getDeclaredConstructor(types);
            this.constructor.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("cannot serialize record " + type.getName() + ": " + e, e);
        }
    }

    @Override
    public void write(Kryo kryo, Output out, T record) {
        for (int i = 0; i < components.length; i++) {
            Object v;
            try {
                v = accessors[i].invoke(record);
            } catch (Throwable t) {
                throw new KryoException("reading " + type.getName() + "." + components[i].getName() + ": " + t, t);
            }
            if (refLists[i]) {
                writeRefs(out, (List<?>) v);
            } else {
                writeValue(kryo, out, components[i].getType(), v);
            }
        }
    }

    @Override
    public T read(Kryo kryo, Input in, Class<? extends T> cls) {
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            try {
                args[i] = refLists[i] ? readRefs(in, fields[i])
                        : readValue(kryo, in, components[i].getType(), fields[i]);
            } catch (KryoException e) {
                e.addTrace(fields[i]); // names the field of a refused string or nested value
                throw e;
            }
        }
        try {
            return constructor.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new KryoException("constructing " + type.getName() + ": " + e.getCause(), e);
        }
    }

    private static boolean isListOfActorRefs(Type t) {
        return t instanceof ParameterizedType p && p.getRawType() == List.class
                && p.getActualTypeArguments()[0] instanceof ParameterizedType e && e.getRawType() == ActorRef.class;
    }

    private void writeRefs(Output out, List<?> refs) {
        if (resolver == null) {
            throw new KryoException("cannot write an ActorRef without an actor system (" + type.getName() + ")");
        }
        out.writeVarInt(refs.size(), true);
        for (Object r : refs) {
            out.writeString(resolver.toSerializationFormat((ActorRef<?>) r));
        }
    }

    private List<Object> readRefs(Input in, String field) {
        if (resolver == null) {
            throw new KryoException("cannot read an ActorRef without an actor system (" + type.getName() + ")");
        }
        int n = Arrays.length(in, 1, field);
        List<Object> refs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            refs.add(resolver.resolveActorRef(in.readString()));
        }
        return Collections.unmodifiableList(refs);
    }

    private void writeValue(Kryo kryo, Output out, Class<?> t, Object v) {
        if (t == int.class) {
            out.writeVarInt((Integer) v, false);
        } else if (t == long.class) {
            out.writeVarLong((Long) v, false);
        } else if (t == double.class) {
            out.writeDouble((Double) v);
        } else if (t == float.class) {
            out.writeFloat((Float) v);
        } else if (t == boolean.class) {
            out.writeBoolean((Boolean) v);
        } else if (t == String.class) {
            out.writeString((String) v);
        } else if (t.isEnum()) {
            out.writeVarInt(v == null ? 0 : ((Enum<?>) v).ordinal() + 1, true);
        } else if (t == int[].class) {
            Arrays.writeInts(out, (int[]) v);
        } else if (t == long[].class) {
            Arrays.writeLongs(out, (long[]) v);
        } else if (t == float[].class) {
            Arrays.writeFloats(out, (float[]) v);
        } else if (t == double[].class) {
            Arrays.writeDoubles(out, (double[]) v);
        } else if (t == byte[].class) {
            Arrays.writeBytes(out, (byte[]) v);
        } else if (t == boolean[].class) {
            Arrays.writeBooleans(out, (boolean[]) v);
        } else if (ActorRef.class.isAssignableFrom(t)) {
            if (resolver == null) {
                throw new KryoException("cannot write an ActorRef without an actor system (" + type.getName() + ")");
            }
            out.writeString(v == null ? null : resolver.toSerializationFormat((ActorRef<?>) v));
        } else if (List.class.isAssignableFrom(t)) {
            List<?> l = (List<?>) v;
            out.writeVarInt(l.size(), true);
            for (Object e : l) {
                kryo.writeClassAndObject(out, e);
            }
        } else if (t == Optional.class) {
            Optional<?> o = (Optional<?>) v;
            kryo.writeClassAndObject(out, o.orElse(null));
        } else {
            kryo.writeClassAndObject(out, v);
        }
    }

    private Object readValue(Kryo kryo, Input in, Class<?> t, String field) {
        if (t == int.class) {
            return in.readVarInt(false);
        } else if (t == long.class) {
            return in.readVarLong(false);
        } else if (t == double.class) {
            return in.readDouble();
        } else if (t == float.class) {
            return in.readFloat();
        } else if (t == boolean.class) {
            return in.readBoolean();
        } else if (t == String.class) {
            return in.readString();
        } else if (t.isEnum()) {
            int ordinal = in.readVarInt(true);
            Object[] constants = t.getEnumConstants();
            if (ordinal < 0 || ordinal > constants.length) {
                throw new KryoException(field + ": " + (ordinal - 1) + " is not an ordinal of " + t.getSimpleName()
                        + " (0.." + (constants.length - 1) + ")");
            }
            return ordinal == 0 ? null : constants[ordinal - 1];
        } else if (t == int[].class) {
            return Arrays.readInts(in, field);
        } else if (t == long[].class) {
            return Arrays.readLongs(in, field);
        } else if (t == float[].class) {
            return Arrays.readFloats(in, field);
        } else if (t == double[].class) {
            return Arrays.readDoubles(in, field);
        } else if (t == byte[].class) {
            return Arrays.readBytes(in, field);
        } else if (t == boolean[].class) {
            return Arrays.readBooleans(in, field);
        } else if (ActorRef.class.isAssignableFrom(t)) {
            String s = in.readString();
            if (s == null) {
                return null;
            }
            if (resolver == null) {
                throw new KryoException("cannot read an ActorRef without an actor system (" + type.getName() + ")");
            }
            return resolver.resolveActorRef(s);
        } else if (List.class.isAssignableFrom(t)) {
            int n = Arrays.length(in, 1, field); // each element takes at least a byte
            List<Object> l = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                l.add(kryo.readClassAndObject(in));
            }
            return Collections.unmodifiableList(l);
        } else if (t == Optional.class) {
            return Optional.ofNullable(kryo.readClassAndObject(in));
        } else {
            return kryo.readClassAndObject(in);
        }
    }
}
