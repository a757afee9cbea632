package io.troupe.transport.wire;

import com.esotericsoftware.kryo.Serializer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * The one place classes are registered for the wire: {@code troupe.serialization.kryo.registrations} in the
 * {@code reference.conf} of each module, class name to a fixed id and optionally a serializer class:
 *
 * <pre>
 * troupe.serialization.kryo.registrations {
 *   "io.troupe.core.experience.Unroll" { id = 100, serializer = "io.troupe.transport.wire.UnrollSerializer" }
 *   "io.troupe.replay.shard.ReplayShard$Sample" { id = 210 }    # a record: RecordSerializer
 * }
 * </pre>
 *
 * Id ranges: 100-199 core, 200-299 replay, 300-399 learners, 400-499 actors, 500-599 cluster, 600-699 serving. Ids
 * below 100 are Kryo's and Troupe's built-ins. Two classes with one id, or an unknown class, fail at start-up with
 * the key named.
 */
public final class KryoRegistrations {

    /** One class with its id and serializer factory. */
    public record Registration(Class<?> type, int id, String serializerClass) {
    }

    private final List<Registration> registrations;

    private KryoRegistrations(List<Registration> registrations) {
        this.registrations = List.copyOf(registrations);
    }

    public static KryoRegistrations fromConfig(Config config) {
        String path = "troupe.serialization.kryo.registrations";
        List<Registration> out = new ArrayList<>();
        Map<Integer, String> byId = new HashMap<>();
        if (config.hasPath(path)) {
            ConfigObject obj = config.getObject(path);
            for (Map.Entry<String, ConfigValue> e : obj.entrySet()) {
                String className = e.getKey();
                String where = path + ".\"" + className + "\"";
                Config entry;
                try {
                    entry = ((ConfigObject) e.getValue()).toConfig();
                } catch (ClassCastException ex) {
                    throw new IllegalArgumentException(where + " must be { id = N }, got " + e.getValue().render());
                }
                if (!entry.hasPath("id")) {
                    throw new IllegalArgumentException(where + ".id is missing");
                }
                int id = entry.getInt("id");
                if (id < 100) {
                    throw new IllegalArgumentException(where + ".id = " + id + " is reserved (ids below 100)");
                }
                String previous = byId.put(id, className);
                if (previous != null) {
                    throw new IllegalArgumentException("kryo id " + id + " is given to both " + previous + " and "
                            + className);
                }
                Class<?> type;
                try {
                    type = Class.forName(className, false, KryoRegistrations.class.getClassLoader());
                } catch (ClassNotFoundException ex) {
                    throw new IllegalArgumentException(where + ": class " + className + " is not on the classpath");
                }
                String serializer = entry.hasPath("serializer") ? entry.getString("serializer") : null;
                out.add(new Registration(type, id, serializer));
            }
        }
        out.sort(Comparator.comparingInt(Registration::id));
        return new KryoRegistrations(out);
    }

    public List<Registration> registrations() {
        return registrations;
    }

    /**
     * A stable hash (the first 8 bytes of SHA-256) of the sorted (id, class name, serializer) list: files written
     * with one set of registrations record it, so a reader with another set refuses them instead of misreading them.
     */
    public long fingerprint() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Registration r : registrations) { // sorted by id
                String line = r.id() + "\t" + r.type().getName() + "\t"
                        + (r.serializerClass() == null ? "" : r.serializerClass()) + "\n";
                sha.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return ByteBuffer.wrap(sha.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The serializer for a registration: its configured class, or {@link RecordSerializer} for records. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static Serializer<?> serializerFor(Registration r, ActorRefResolver resolver) {
        if (r.serializerClass() != null) {
            try {
                Class<?> cls = Class.forName(r.serializerClass(), true, KryoRegistrations.class.getClassLoader());
                return (Serializer<?>) cls.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalArgumentException("kryo serializer " + r.serializerClass() + " for "
                        + r.type().getName() + " cannot be created: " + e, e);
            }
        }
        if (r.type().isRecord()) {
            return new RecordSerializer(r.type(), resolver);
        }
        if (r.type().isEnum()) {
            return null; // Kryo's default enum serializer
        }
        throw new IllegalArgumentException("kryo registration " + r.type().getName()
                + " is neither a record nor an enum: give it a serializer");
    }
}
