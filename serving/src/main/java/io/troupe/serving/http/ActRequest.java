package io.troupe.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.Observation;
import io.troupe.core.space.Space;
import io.troupe.edge.observation.ObservationException;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.serving.model.Output;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An act or act-batch body, read field by field so that every problem names its field:
 * {@code {"observation": {...}, "deterministic": true, "outputs": ["probs", "value", "logp"], "seed": 7}}, or
 * {@code "observations": [{...}, ...]} for act-batch. {@code deterministic} defaults to true (the greedy action);
 * {@code seed} makes a sampled action reproducible.
 *
 * @param observations  the observations, in order (one for act)
 * @param deterministic the most likely action (true) or one drawn from the policy's distribution
 * @param outputs       what to answer beside the action
 * @param seed          the sampling seed, if given
 */
public record ActRequest(List<Observation> observations, boolean deterministic, Set<Output> outputs,
                         OptionalLong seed) {
    private static final Set<String> ACT_FIELDS = Set.of("observation", "deterministic", "outputs", "seed");
    private static final Set<String> BATCH_FIELDS = Set.of("observations", "deterministic", "outputs", "seed");

    /** Reads an act body ({@code batch} false) or an act-batch body; errors name the field. */
    public static ActRequest read(JsonNode body, Space space, boolean batch) {
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("the body must be a JSON object with "
                    + (batch ? "\"observations\": [...]" : "\"observation\": {...}") + ", found "
                    + kind(body));
        }
        Set<String> known = batch ? BATCH_FIELDS : ACT_FIELDS;
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new FieldException(f, "unknown field '" + f + "'; expected "
                        + (batch ? "observations, deterministic, outputs, seed" : "observation, deterministic, "
                        + "outputs, seed"));
            }
        }
        List<Observation> observations = new ArrayList<>();
        if (batch) {
            JsonNode list = body.get("observations");
            if (list == null || !list.isArray() || list.isEmpty()) {
                throw new ObservationException("observations", "expected a non-empty array of observations, found "
                        + kind(list));
            }
            for (int i = 0; i < list.size(); i++) {
                observations.add(observation(list.get(i), space, "observations[" + i + "]"));
            }
        } else {
            JsonNode o = body.get("observation");
            if (o == null) {
                throw new ObservationException("observation", "missing; expected the observation, one field per "
                        + "modality: " + ObservationJson.fields(space));
            }
            observations.add(observation(o, space, "observation"));
        }
        boolean deterministic = true;
        JsonNode d = body.get("deterministic");
        if (d != null && !d.isNull()) {
            if (!d.isBoolean()) {
                throw new FieldException("deterministic", "deterministic: expected true or false, found "
                        + kind(d));
            }
            deterministic = d.booleanValue();
        }
        EnumSet<Output> outputs = EnumSet.noneOf(Output.class);
        JsonNode out = body.get("outputs");
        if (out != null && !out.isNull()) {
            if (!out.isArray()) {
                throw new FieldException("outputs", "outputs: expected an array of \"probs\", \"value\", \"logp\", "
                        + "found " + kind(out));
            }
            for (int i = 0; i < out.size(); i++) {
                JsonNode o = out.get(i);
                String field = "outputs[" + i + "]";
                if (!o.isTextual()) {
                    throw new FieldException(field, field + ": expected \"probs\", \"value\" or \"logp\", found "
                            + kind(o));
                }
                try {
                    outputs.add(Output.parse(o.asText(), field));
                } catch (IllegalArgumentException e) {
                    throw new FieldException(field, e.getMessage());
                }
            }
        }
        OptionalLong seed = OptionalLong.empty();
        JsonNode s = body.get("seed");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                throw new FieldException("seed", "seed: expected an integer, found " + kind(s));
            }
            seed = OptionalLong.of(s.longValue());
        }
        return new ActRequest(List.copyOf(observations), deterministic, Set.copyOf(outputs), seed);
    }

    private static Observation observation(JsonNode json, Space space, String prefix) {
        try {
            return ObservationJson.read(json, space);
        } catch (ObservationException e) {
            throw new ObservationException(e.path().isEmpty() ? prefix : e.path().startsWith("[") ? prefix + e.path()
                    : prefix + "." + e.path(), e.problem());
        }
    }

    private static String kind(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        String s = v.toString();
        return v.getNodeType().name().toLowerCase(Locale.ROOT) + " " + (s.length() > 60
                ? s.substring(0, 57) + "..." : s);
    }
}
