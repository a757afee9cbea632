package io.troupe.edge.observation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.ByteTensor;
import io.troupe.core.DType;
import io.troupe.core.FloatTensor;
import io.troupe.core.IntTensor;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Shapes;
import io.troupe.core.Tensor;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Observations as JSON, for a client of an exported or served policy. An observation is an object with one field per
 * modality, named as in the observation space ({@code obs} for a plain Box space, which also takes a bare array):
 * <ul>
 *   <li>float32 vector: an array of numbers ({@code [0.1, -0.2, 0.03, 0.4]}), nested as the shape for a box of more
 *       than one dimension, or flat in row-major order;</li>
 *   <li>uint8 image (CHW): a base64 string of the {@code C*H*W} bytes, or nested arrays {@code [C][H][W]} of
 *       0..255;</li>
 *   <li>text: a sentence the space's tokenizer encodes ({@code "go to the red ball"}), or an array of at most
 *       {@code maxTokens} token ids (padded with 0).</li>
 * </ul>
 * Every value is checked against the space; the first problem is an {@link ObservationException} naming the field.
 * {@link #write} is the inverse (images as base64, text as its sentence).
 */
public final class ObservationJson {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ObservationJson() {
    }

    /** The observation {@code json} describes in {@code space} (a Dict of Box/Text, or a Box). */
    public static Observation read(JsonNode json, Space space) {
        if (space instanceof Dict dict) {
            if (json == null || !json.isObject()) {
                throw new ObservationException("", "expected an object with fields " + dict.spaces().keySet()
                        + ", found " + kind(json));
            }
            checkFields(json, dict.spaces().keySet());
            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            dict.spaces().forEach((name, sub) -> tensors.put(name, modality(json.get(name), sub, name)));
            return Observation.of(tensors);
        }
        JsonNode value = json;
        if (json != null && json.isObject()) {
            checkFields(json, List.of(Observation.SINGLE));
            value = json.get(Observation.SINGLE);
        }
        return Observation.of(modality(value, space, Observation.SINGLE));
    }

    /** A batch of the observations in the JSON array {@code json}; errors name the index ({@code [3].state}). */
    public static ObservationBatch readBatch(JsonNode json, Space space) {
        if (json == null || !json.isArray() || json.isEmpty()) {
            throw new ObservationException("", "expected a non-empty array of observations, found " + kind(json));
        }
        ObservationBatch batch = ObservationBatch.forSpace(space, json.size());
        for (int i = 0; i < json.size(); i++) {
            try {
                batch.write(i, read(json.get(i), space));
            } catch (ObservationException e) {
                throw e.under("[" + i + "]");
            }
        }
        return batch;
    }

    /** The JSON form of {@code observation} in {@code space}: one field per modality. */
    public static ObjectNode write(Observation observation, Space space) {
        Optional<String> violation = space.observationViolation(observation);
        if (violation.isPresent()) {
            throw new ObservationException("", violation.get());
        }
        ObjectNode out = JSON.objectNode();
        if (space instanceof Dict dict) {
            dict.spaces().forEach((name, sub) -> out.set(name, writeModality(observation.tensor(name), sub)));
        } else {
            out.set(Observation.SINGLE, writeModality(observation.single(), space));
        }
        return out;
    }

    private static JsonNode writeModality(Tensor t, Space space) {
        if (space instanceof Text text) {
            int[] ids = ((IntTensor) t).data();
            String sentence = text.decode(ids);
            if (!sentence.isEmpty() && Arrays.equals(text.encode(sentence), ids)) {
                return JSON.textNode(sentence);
            }
            ArrayNode a = JSON.arrayNode();
            Arrays.stream(ids).forEach(a::add);
            return a;
        }
        if (t instanceof ByteTensor b) {
            return JSON.textNode(Base64.getEncoder().encodeToString(b.data()));
        }
        float[] data = ((FloatTensor) t).data();
        return nested(data, t.shape(), 0, 0);
    }

    private static ArrayNode nested(float[] data, int[] shape, int dim, int offset) {
        ArrayNode a = JSON.arrayNode();
        int stride = 1;
        for (int d = dim + 1; d < shape.length; d++) {
            stride *= shape[d];
        }
        for (int i = 0; i < shape[dim]; i++) {
            if (dim == shape.length - 1) {
                a.add(data[offset + i]);
            } else {
                a.add(nested(data, shape, dim + 1, offset + i * stride));
            }
        }
        return a;
    }

    private static void checkFields(JsonNode object, Collection<String> expected) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!expected.contains(name)) {
                throw new ObservationException(name, "unknown field; the observation's fields are " + expected);
            }
        }
        for (String name : expected) {
            if (!object.has(name)) {
                throw new ObservationException(name, "missing; the observation's fields are " + expected);
            }
        }
    }

    private static Tensor modality(JsonNode value, Space space, String path) {
        Tensor t;
        if (space instanceof Text text) {
            t = text(value, text, path);
        } else if (space instanceof Box box && box.dtype() == DType.UINT8) {
            t = image(value, box, path);
        } else if (space instanceof Box box) {
            t = vector(value, box, path);
        } else {
            throw new ObservationException(path, "the space " + space.describe() + " has no JSON form; expected a Box"
                    + " or a Text space");
        }
        Optional<String> violation = space.violation(t);
        if (violation.isPresent()) {
            throw new ObservationException(path, violation.get());
        }
        return t;
    }

    private static IntTensor text(JsonNode value, Text space, String path) {
        if (value != null && value.isTextual()) {
            try {
                return IntTensor.of(space.encode(value.asText()));
            } catch (IllegalArgumentException e) {
                throw new ObservationException(path, e.getMessage());
            }
        }
        if (value != null && value.isArray()) {
            if (value.size() > space.maxTokens()) {
                throw new ObservationException(path, "expected at most " + space.maxTokens() + " token ids, found "
                        + value.size());
            }
            int[] ids = new int[space.maxTokens()];
            for (int i = 0; i < value.size(); i++) {
                JsonNode v = value.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw new ObservationException(path + "[" + i + "]", "expected a token id (an integer), found "
                            + kind(v));
                }
                ids[i] = v.intValue();
            }
            return IntTensor.of(ids);
        }
        throw new ObservationException(path, "expected a sentence (string) or an array of token ids for "
                + space.describe() + ", found " + kind(value));
    }

    private static ByteTensor image(JsonNode value, Box space, String path) {
        int n = space.size();
        if (value != null && value.isTextual()) {
            String text = value.asText().trim();
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new ObservationException(path, "malformed base64 (" + base64Fault(text, e)
                        + "); expected the " + n + " uint8 bytes of a " + Shapes.format(space.shape())
                        + " image in base64");
            }
            if (bytes.length != n) {
                throw new ObservationException(path, "base64 decodes to " + bytes.length + " bytes; expected " + n
                        + " (uint8 " + Shapes.format(space.shape()) + ", channels first)");
            }
            return new ByteTensor(space.shape().clone(), bytes);
        }
        float[] values = numbers(value, space, path, true);
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) (int) values[i];
        }
        return new ByteTensor(space.shape().clone(), bytes);
    }

    private static FloatTensor vector(JsonNode value, Box space, String path) {
        return new FloatTensor(space.shape().clone(), numbers(value, space, path, false));
    }

    /** The box's elements from a flat array of {@code size} numbers or nested arrays of its shape. */
    private static float[] numbers(JsonNode value, Box space, String path, boolean bytes) {
        int[] shape = space.shape();
        String expected = (bytes ? "integers 0..255" : "numbers") + " of shape " + Shapes.format(shape)
                + (bytes ? " (channels first) or its bytes in base64" : "");
        if (value == null || !value.isArray()) {
            throw new ObservationException(path, "expected an array of " + expected + ", found " + kind(value));
        }
        float[] out = new float[space.size()];
        boolean flat = shape.length > 1 && value.size() == space.size() && value.get(0).isNumber();
        if (flat) {
            for (int i = 0; i < out.length; i++) {
                out[i] = number(value.get(i), path + "[" + i + "]", bytes);
            }
        } else {
            fill(value, shape, 0, out, new int[] {0}, path, expected, bytes);
        }
        return out;
    }

    private static void fill(JsonNode value, int[] shape, int dim, float[] out, int[] next, String path,
                             String expected, boolean bytes) {
        if (!value.isArray()) {
            throw new ObservationException(path, "expected an array of " + shape[dim] + " (dimension " + dim + " of "
                    + expected + "), found " + kind(value));
        }
        if (value.size() != shape[dim]) {
            throw new ObservationException(path, "expected " + shape[dim] + " elements (dimension " + dim + " of "
                    + expected + "), found " + value.size());
        }
        for (int i = 0; i < shape[dim]; i++) {
            String p = path + "[" + i + "]";
            if (dim == shape.length - 1) {
                out[next[0]++] = number(value.get(i), p, bytes);
            } else {
                fill(value.get(i), shape, dim + 1, out, next, p, expected, bytes);
            }
        }
    }

    private static float number(JsonNode v, String path, boolean bytes) {
        if (bytes) {
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0 || v.intValue() > 255) {
                throw new ObservationException(path, "expected an integer 0..255 (uint8), found " + kind(v));
            }
            return v.intValue();
        }
        if (!v.isNumber()) {
            throw new ObservationException(path, "expected a number, found " + kind(v));
        }
        float f = v.floatValue();
        if (!Float.isFinite(f)) {
            throw new ObservationException(path, "expected a finite float32 number, found " + v.asText());
        }
        return f;
    }

    /**
     * What is wrong with base64 text the JDK's decoder refused: the first character outside the alphabet, by itself and
     * its position (the decoder's own message gives it as a hexadecimal number, or a negative byte), or the decoder's
     * message when every character is in the alphabet (a wrong length or padding).
     */
    static String base64Fault(String text, IllegalArgumentException refusal) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean alphabet = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+'
                    || c == '/' || c == '=';
            if (!alphabet) {
                return String.format("character '%s' (U+%04X) at position %d is not in the base64 alphabet "
                        + "A-Z a-z 0-9 + / =", Character.isISOControl(c) ? "?" : String.valueOf(c), (int) c, i);
            }
        }
        return refusal.getMessage();
    }

    /** What a JSON value is, for error messages: {@code string "abc"}, {@code nothing}. */
    static String kind(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        String s = v.toString();
        return v.getNodeType().name().toLowerCase(Locale.ROOT) + " " + (s.length() > 60 ? s.substring(0, 57) + "..."
                : s);
    }

    /** The modalities' names of {@code space}, in order, as an observation's JSON fields. */
    public static List<String> fields(Space space) {
        List<String> out = new ArrayList<>();
        ObservationBatch.modalitiesOf(space).forEach(m -> out.add(m.name()));
        return out;
    }
}
