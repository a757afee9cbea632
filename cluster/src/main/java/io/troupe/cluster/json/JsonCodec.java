package io.troupe.cluster.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;

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
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();
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
     * {@code json} read as a {@code type}; a malformed body or a wrong field is an {@link IllegalArgumentException}
     * whose message names {@code what} (for example "the body of POST /troupe/rewards/{env}") and Jackson's reason.
     * An empty text reads as an empty object ({@code {}}).
     */
    public static <T> T read(String json, Class<T> type, String what) {
        try {
            return MAPPER.readValue(json.isBlank() ? "{}" : json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not a valid " + type.getSimpleName() + ": "
                    + e.getOriginalMessage());
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
