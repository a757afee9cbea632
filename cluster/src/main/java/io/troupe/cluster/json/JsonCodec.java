package io.troupe.cluster.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one JSON library of the cluster module, both ways: records in, records out. Reports keep the names a user sees
 * (metrics.jsonl, summary.json, the admin API): record components are written in snake_case
 * ({@code envSteps} as {@code env_steps}), and {@code @JsonProperty} names the rest ({@code mean_return_100},
 * {@code losses/policy_loss}). Non-finite numbers are written as {@code null} (JSON has no NaN); unknown properties in
 * a request body are an error. Pretty output keeps the layout summaries always had: {@code "key": value}, lists on one
 * line ({@code [1, 2]}).
 */
public final class JsonCodec {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new SimpleModule("troupe-finite-numbers")
                    .addSerializer(Double.class, new FiniteDouble())
                    .addSerializer(double.class, new FiniteDouble())
                    .addSerializer(Float.class, new FiniteFloat())
                    .addSerializer(float.class, new FiniteFloat()))
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // a body's types as written: 3 is not "3", "3" is not 3, 3.5 is not 3
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .withCoercionConfig(LogicalType.Textual, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Integer, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Float, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Boolean, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();
    private static final Map<Class<?>, Set<String>> KNOWN = new ConcurrentHashMap<>();
    private static final ObjectReader LENIENT = MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withArrayValueSpacing(Separators.Spacing.AFTER)
            .withArrayEmptySeparator(""))
            .withArrayIndenter(DefaultPrettyPrinter.NopIndenter.instance));

    private JsonCodec() {
    }

    /** The shared mapper (thread-safe once configured). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** {@code value} as one line of JSON. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code value} as indented JSON (two spaces) ending with a newline. */
    public static String pretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code value} as a tree, written as {@link #write} would (snake_case names, non-finite numbers as null). */
    public static JsonNode tree(Object value) {
        try {
            return MAPPER.readTree(write(value));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code json} read as a {@code type}; a malformed body, an unknown field, a value of the wrong JSON type (no
     * coercion between strings, numbers and booleans) or a refusal of the record's constructor is an
     * {@link IllegalArgumentException} whose message names {@code what} (for example "the body of POST
     * /troupe/rewards/{env}") and the field. An empty text reads as an empty object ({@code {}}).
     */
    public static <T> T read(String json, Class<T> type, String what) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json.isBlank() ? "{}" : json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (tree.isObject()) {
            // before the record's constructor runs: Jackson reports unknown fields only after building the value
            Set<String> known = KNOWN.computeIfAbsent(type, JsonCodec::propertyNames);
            for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!known.contains(name)) {
                    throw new IllegalArgumentException(what + ": unknown field \"" + name + "\"; expected " + known);
                }
            }
        }
        try {
            return MAPPER.treeToValue(tree, type);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(what + ": " + cause.getMessage());
        } catch (MismatchedInputException e) {
            String field = field(e.getPath());
            if (field.isEmpty()) {
                throw new IllegalArgumentException(what + " must be a JSON object, got " + json.strip());
            }
            throw new IllegalArgumentException(what + ": \"" + field + "\" must be " + describe(e.getTargetType()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not a valid " + type.getSimpleName() + ": "
                    + e.getOriginalMessage());
        }
    }

    private static Set<String> propertyNames(Class<?> type) {
        Set<String> names = new TreeSet<>();
        for (BeanPropertyDefinition p : MAPPER.getDeserializationConfig().introspect(MAPPER.constructType(type))
                .findProperties()) {
            names.add(p.getName());
        }
        return names;
    }

    private static String field(List<JsonMappingException.Reference> path) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String describe(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == String.class || type.isEnum()) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        return "an object";
    }

    /**
     * An answer from another process ({@code tree}) as a {@code type}, ignoring fields this version does not know (a
     * newer server may add some); a missing or mistyped one is an {@link IllegalArgumentException} naming
     * {@code what}.
     */
    public static <T> T convert(JsonNode tree, Class<T> type, String what) {
        try {
            return LENIENT.treeToValue(tree, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not a " + type.getSimpleName() + ": " + e.getMessage());
        }
    }

    /** {@code json} as a tree; malformed text is an {@link IllegalArgumentException} naming {@code what}. */
    public static JsonNode readTree(String json, String what) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static final class FiniteDouble extends StdSerializer<Double> {
        FiniteDouble() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value == null || !Double.isFinite(value)) {
                gen.writeNull();
            } else {
                gen.writeNumber(value);
            }
        }
    }

    private static final class FiniteFloat extends StdSerializer<Float> {
        FiniteFloat() {
            super(Float.class);
        }

        @Override
        public void serialize(Float value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (value == null || !Float.isFinite(value)) {
                gen.writeNull();
            } else {
                gen.writeNumber(value);
            }
        }
    }
}
