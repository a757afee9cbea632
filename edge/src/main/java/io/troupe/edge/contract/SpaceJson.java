package io.troupe.edge.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.DType;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Spaces as JSON, for a policy's contract and the serving API: {@code {"type":"box","dtype":"float32","shape":[4],
 * "low":[...],"high":[...]}} (an infinite bound is {@code null}; a bound shared by every element is one number),
 * {@code {"type":"text","maxTokens":8,"vocabulary":["<pad>", ...]}}, {@code {"type":"discrete","n":3}},
 * {@code {"type":"dict","spaces":{"image":{...}, ...}}} (in the space's order). Reading checks every field and names
 * the path of the first that is wrong.
 */
public final class SpaceJson {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private SpaceJson() {
    }

    public static ObjectNode write(Space space) {
        ObjectNode o = JSON.objectNode();
        if (space instanceof Box b) {
            o.put("type", "box");
            o.put("dtype", b.dtype().label());
            ArrayNode shape = o.putArray("shape");
            for (int d : b.shape()) {
                shape.add(d);
            }
            o.set("low", bounds(b.low()));
            o.set("high", bounds(b.high()));
        } else if (space instanceof Text t) {
            o.put("type", "text");
            o.put("maxTokens", t.maxTokens());
            ArrayNode v = o.putArray("vocabulary");
            t.vocabulary().forEach(v::add);
        } else if (space instanceof Discrete d) {
            o.put("type", "discrete");
            o.put("n", d.n());
        } else if (space instanceof Dict d) {
            o.put("type", "dict");
            ObjectNode spaces = o.putObject("spaces");
            d.spaces().forEach((name, s) -> spaces.set(name, write(s)));
        } else {
            throw new IllegalArgumentException("space " + space.describe() + " has no JSON form");
        }
        return o;
    }

    private static JsonNode bounds(float[] values) {
        boolean same = true;
        for (float v : values) {
            same &= Float.compare(v, values[0]) == 0;
        }
        if (same && values.length > 0) {
            return bound(values[0]);
        }
        ArrayNode a = JSON.arrayNode();
        for (float v : values) {
            a.add(bound(v));
        }
        return a;
    }

    private static JsonNode bound(float v) {
        return Float.isInfinite(v) ? JSON.nullNode() : JSON.numberNode(v);
    }

    /** The space {@code node} describes; {@code path} names it in errors ({@code "observationSpace"}). */
    public static Space read(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(path + ": expected a space object, found " + kind(node));
        }
        String type = text(node, path, "type");
        return switch (type) {
            case "box" -> {
                DType dtype;
                try {
                    dtype = DType.parse(text(node, path, "dtype"));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + ".dtype: " + e.getMessage(), e);
                }
                JsonNode shapeNode = node.get("shape");
                if (shapeNode == null || !shapeNode.isArray()) {
                    throw new IllegalArgumentException(path + ".shape: expected an array of dimensions, found "
                            + kind(shapeNode));
                }
                int[] shape = new int[shapeNode.size()];
                int n = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = integer(shapeNode.get(i), path + ".shape[" + i + "]");
                    n *= shape[i];
                }
                float[] low = readBounds(node.get("low"), n, Float.NEGATIVE_INFINITY, path + ".low");
                float[] high = readBounds(node.get("high"), n, Float.POSITIVE_INFINITY, path + ".high");
                try {
                    yield new Box(shape, low, high, dtype);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
                }
            }
            case "text" -> {
                int max = integer(node.get("maxTokens"), path + ".maxTokens");
                JsonNode v = node.get("vocabulary");
                if (v == null || !v.isArray()) {
                    throw new IllegalArgumentException(path + ".vocabulary: expected an array of words, found "
                            + kind(v));
                }
                List<String> words = new ArrayList<>();
                for (JsonNode w : v) {
                    if (!w.isTextual()) {
                        throw new IllegalArgumentException(path + ".vocabulary: expected words (strings), found "
                                + kind(w));
                    }
                    words.add(w.asText());
                }
                try {
                    yield new Text(max, words);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
                }
            }
            case "discrete" -> new Discrete(integer(node.get("n"), path + ".n"));
            case "dict" -> {
                JsonNode spaces = node.get("spaces");
                if (spaces == null || !spaces.isObject() || spaces.isEmpty()) {
                    throw new IllegalArgumentException(path + ".spaces: expected an object of named spaces, found "
                            + kind(spaces));
                }
                Map<String, Space> out = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = spaces.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    out.put(e.getKey(), read(e.getValue(), path + ".spaces." + e.getKey()));
                }
                yield new Dict(out);
            }
            default -> throw new IllegalArgumentException(path + ".type: unknown space type '" + type
                    + "'; expected box, text, discrete or dict");
        };
    }

    private static float[] readBounds(JsonNode node, int n, float infinite, String path) {
        float[] out = new float[n];
        if (node == null || node.isNull() || node.isNumber()) {
            java.util.Arrays.fill(out, node == null || node.isNull() ? infinite : node.floatValue());
            return out;
        }
        if (!node.isArray() || node.size() != n) {
            throw new IllegalArgumentException(path + ": expected a number, null or an array of " + n
                    + " bounds, found " + kind(node));
        }
        for (int i = 0; i < n; i++) {
            JsonNode v = node.get(i);
            if (v.isNull()) {
                out[i] = infinite;
            } else if (v.isNumber()) {
                out[i] = v.floatValue();
            } else {
                throw new IllegalArgumentException(path + "[" + i + "]: expected a number or null, found " + kind(v));
            }
        }
        return out;
    }

    private static String text(JsonNode node, String path, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(path + "." + field + ": expected a string, found " + kind(v));
        }
        return v.asText();
    }

    private static int integer(JsonNode v, String path) {
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) {
            throw new IllegalArgumentException(path + ": expected a non-negative integer, found " + kind(v));
        }
        return v.intValue();
    }

    /** What a JSON value is, for error messages. */
    static String kind(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        String s = v.toString();
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + (s.length() > 60
                ? s.substring(0, 57) + "..." : s);
    }
}
