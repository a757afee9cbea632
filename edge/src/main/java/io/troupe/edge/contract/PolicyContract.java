package io.troupe.edge.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client of an exported policy needs besides the model file ({@code policy.json} beside {@code policy.onnx}):
 * the env, the observation and action spaces, the model's inputs (one per modality, in the space's order, with dtype
 * and shape, batch dimension {@code -1}) and outputs ({@code logits}, {@code value}), how text is tokenized and how
 * images are laid out, and where the weights came from.
 *
 * @param format           {@value #FORMAT}
 * @param model            the model file's name, beside this file ({@code policy.onnx})
 * @param envId            the env the policy was trained on
 * @param modelKind        {@code transformer} or {@code mlp}
 * @param modelId          Troupe's architecture id (weights load only into the same id)
 * @param parameters       number of scalar parameters
 * @param policyVersion    the learner's policy version the weights are from
 * @param weightsSha256    SHA-256 of the parameters ({@code weights.trpw} bytes), hex
 * @param troupeVersion    the Troupe build that exported it
 * @param opset            the ONNX opset of the graph
 * @param observationSpace the env's observation space ({@link SpaceJson})
 * @param actionSpace      the env's action space ({@link SpaceJson}; Discrete)
 * @param inputs           the graph's inputs
 * @param outputs          the graph's outputs
 * @param envSettings      the env settings the policy was trained with, as {@code troupe.train.env-overrides} takes
 *                         them ({@code params}, {@code max-episode-steps}; a registration's own params included, e.g.
 *                         GoToObject's {@code view = agent}): evaluation and serving make the env with them; absent
 *                         (an older export, or a model exported without its run): the env's defaults
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyContract(String format, String model, String envId, String modelKind, String modelId,
                             long parameters, long policyVersion, String weightsSha256, String troupeVersion, int opset,
                             JsonNode observationSpace, JsonNode actionSpace, List<Input> inputs,
                             List<Output> outputs, JsonNode envSettings) {
    public static final String FORMAT = "troupe-policy/1";
    public static final String FILE = "policy.json";
    public static final String LOGITS = "logits";
    public static final String VALUE = "value";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One graph input: a modality of the observation.
     *
     * @param name      the modality's name (the observation space's key; {@code obs} for a non-Dict space)
     * @param dtype     {@code uint8} (images), {@code int64} (token ids) or {@code float32} (vectors)
     * @param shape     dimensions, the first ({@code -1}) the batch
     * @param role      {@code image}, {@code text} or {@code vector}
     * @param layout    {@code NCHW} for images (channels first, values 0..255), else absent
     * @param tokenizer for text: how a sentence becomes {@code shape[1]} token ids, else absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Input(String name, String dtype, long[] shape, String role, String layout, Tokenizer tokenizer) {
    }

    /**
     * How a sentence becomes token ids: lower-cased, split on whitespace, each word's index in {@code vocabulary},
     * padded with id 0 ({@code <pad>}) to {@code maxTokens}; a word outside the vocabulary is an error.
     */
    public record Tokenizer(String rule, int maxTokens, List<String> vocabulary) {
    }

    /** One graph output: {@code logits} (batch x actions) or {@code value} (batch). */
    public record Output(String name, String dtype, long[] shape) {
    }

    /** The inputs a model of {@code observationSpace} takes, one per modality in the space's order. */
    public static List<Input> inputsOf(Space observationSpace) {
        List<Input> out = new ArrayList<>();
        for (ObservationBatch.Modality m : ObservationBatch.modalitiesOf(observationSpace)) {
            Space sub = observationSpace instanceof Dict d ? d.spaces().get(m.name()) : observationSpace;
            long[] shape = new long[m.shape().length + 1];
            shape[0] = -1;
            for (int i = 0; i < m.shape().length; i++) {
                shape[i + 1] = m.shape()[i];
            }
            if (sub instanceof Text t) {
                out.add(new Input(m.name(), "int64", shape, "text", null, new Tokenizer(
                        "lower-case, split on whitespace, index in vocabulary, pad with 0 to maxTokens",
                        t.maxTokens(), t.vocabulary())));
            } else if (m.dtype() == DType.UINT8) {
                out.add(new Input(m.name(), "uint8", shape, "image", m.shape().length == 3 ? "NCHW" : null, null));
            } else {
                out.add(new Input(m.name(), "float32", shape, "vector", null, null));
            }
        }
        return out;
    }

    /** The outputs of a policy with {@code actions} discrete actions. */
    public static List<Output> outputsOf(int actions) {
        return List.of(new Output(LOGITS, "float32", new long[] {-1, actions}),
                new Output(VALUE, "float32", new long[] {-1}));
    }

    public Space observation() {
        return SpaceJson.read(observationSpace, "observationSpace");
    }

    public Space action() {
        return SpaceJson.read(actionSpace, "actionSpace");
    }

    /** Number of discrete actions. */
    public int actions() {
        if (!(action() instanceof Discrete d)) {
            throw new IllegalArgumentException("actionSpace: expected a discrete space, found " + actionSpace);
        }
        return d.n();
    }

    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("policy contract cannot be written: " + e.getMessage(), e);
        }
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, toJson() + "\n");
    }

    /** Reads and checks {@code file}; errors name the file and what is wrong. */
    public static PolicyContract read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("policy contract " + file + " does not exist; expected the "
                    + FILE + " written by ./troupe export beside the model", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("policy contract " + file + " is unreadable: " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /**
     * The contract a JSON tree describes, read field by field (Jackson's tree model, not its record binding: the edge
     * jar's cold start pays for every class Jackson loads, and binding records loads about twice as many).
     */
    private static PolicyContract fromTree(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, found " + SpaceJson.kind(root));
        }
        List<Input> inputs = new ArrayList<>();
        JsonNode in = array(root, "inputs");
        for (int i = 0; in != null && i < in.size(); i++) {
            JsonNode n = in.get(i);
            String at = "inputs[" + i + "]";
            JsonNode t = n.get("tokenizer");
            Tokenizer tokenizer = null;
            if (t != null && !t.isNull()) {
                List<String> vocabulary = new ArrayList<>();
                JsonNode v = array(t, "vocabulary");
                for (int w = 0; v != null && w < v.size(); w++) {
                    vocabulary.add(v.get(w).asText());
                }
                tokenizer = new Tokenizer(text(t, "rule"), (int) number(t, "maxTokens", at + ".tokenizer"),
                        vocabulary);
            }
            inputs.add(new Input(text(n, "name"), text(n, "dtype"), dims(n, at), text(n, "role"), text(n, "layout"),
                    tokenizer));
        }
        List<Output> outputs = new ArrayList<>();
        JsonNode out = array(root, "outputs");
        for (int i = 0; out != null && i < out.size(); i++) {
            JsonNode n = out.get(i);
            outputs.add(new Output(text(n, "name"), text(n, "dtype"), dims(n, "outputs[" + i + "]")));
        }
        return new PolicyContract(text(root, "format"), text(root, "model"), text(root, "envId"),
                text(root, "modelKind"), text(root, "modelId"), number(root, "parameters", ""),
                number(root, "policyVersion", ""), text(root, "weightsSha256"), text(root, "troupeVersion"),
                (int) number(root, "opset", ""), root.get("observationSpace"), root.get("actionSpace"),
                in == null ? null : inputs, out == null ? null : outputs, envSettings(root));
    }

    private static JsonNode envSettings(JsonNode root) {
        JsonNode v = root.get("envSettings");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw new IllegalArgumentException("envSettings: expected an object ({\"params\": {...}, "
                    + "\"max-episode-steps\": N}), found " + SpaceJson.kind(v));
        }
        return v;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw new IllegalArgumentException(field + ": expected a string, found " + SpaceJson.kind(v));
        }
        return v.asText();
    }

    private static long number(JsonNode node, String field, String at) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber()) {
            throw new IllegalArgumentException((at.isEmpty() ? "" : at + ".") + field + ": expected an integer, found "
                    + SpaceJson.kind(v));
        }
        return v.longValue();
    }

    private static JsonNode array(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(field + ": expected an array, found " + SpaceJson.kind(v));
        }
        return v;
    }

    private static long[] dims(JsonNode node, String at) {
        JsonNode v = array(node, "shape");
        if (v == null) {
            return new long[0];
        }
        long[] out = new long[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isIntegralNumber()) {
                throw new IllegalArgumentException(at + ".shape[" + i + "]: expected an integer, found "
                        + SpaceJson.kind(v.get(i)));
            }
            out[i] = v.get(i).longValue();
        }
        return out;
    }

    /** Parses a contract's JSON; {@code source} names it in errors. */
    public static PolicyContract parse(String json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("policy contract " + source + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        PolicyContract c;
        try {
            c = fromTree(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("policy contract " + source + ": " + e.getMessage(), e);
        }
        if (!FORMAT.equals(c.format())) {
            throw new IllegalArgumentException("policy contract " + source + " has format " + c.format()
                    + "; expected " + FORMAT);
        }
        try {
            Space obs = c.observation();
            c.actions();
            List<Input> expected = inputsOf(obs);
            if (c.inputs() == null || c.inputs().size() != expected.size()) {
                throw new IllegalArgumentException("inputs: expected " + expected.size() + " (one per modality of "
                        + obs.describe() + "), found " + (c.inputs() == null ? 0 : c.inputs().size()));
            }
            for (int i = 0; i < expected.size(); i++) {
                Input e = expected.get(i);
                Input f = c.inputs().get(i);
                if (!e.name().equals(f.name()) || !e.dtype().equals(f.dtype())
                        || !java.util.Arrays.equals(e.shape(), f.shape())) {
                    throw new IllegalArgumentException("inputs[" + i + "]: expected " + e.name() + " " + e.dtype()
                            + java.util.Arrays.toString(e.shape()) + ", found " + f.name() + " " + f.dtype()
                            + java.util.Arrays.toString(f.shape()));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("policy contract " + source + ": " + e.getMessage(), e);
        }
        return c;
    }
}
