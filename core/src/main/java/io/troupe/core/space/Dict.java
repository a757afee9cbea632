package io.troupe.core.space;

import io.troupe.core.Observation;
import io.troupe.core.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * Named sub-spaces, in a fixed order: the space of a multimodal observation such as
 * {@code {image: Box uint8 [3, 32, 32], mission: Text, state: Box float32 [5]}}. Contains {@link Observation}s with
 * exactly these names, each tensor in its sub-space. Sub-spaces are tensor spaces ({@link Box} or {@link Text}).
 */
public record Dict(Map<String, Space> spaces) implements Space {
    public Dict {
        if (spaces == null || spaces.isEmpty()) {
            throw new IllegalArgumentException("Dict space needs at least one sub-space");
        }
        spaces.forEach((name, s) -> {
            if (!(s instanceof Box) && !(s instanceof Text)) {
                throw new IllegalArgumentException("Dict sub-space '" + name + "' is " + (s == null ? "null" : s.describe())
                        + "; expected a Box or a Text space");
            }
        });
        spaces = Collections.unmodifiableMap(new LinkedHashMap<>(spaces));
    }

    /** Builds a Dict from alternating names and spaces: {@code Dict.of("image", box, "mission", text)}. */
    public static Dict of(Object... namesAndSpaces) {
        LinkedHashMap<String, Space> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < namesAndSpaces.length; i += 2) {
            m.put((String) namesAndSpaces[i], (Space) namesAndSpaces[i + 1]);
        }
        return new Dict(m);
    }

    @Override
    public Optional<String> violation(Object value) {
        if (!(value instanceof Observation o)) {
            return Optional.of("value " + value + " is not in " + describe() + ": expected an observation");
        }
        if (!o.tensors().keySet().equals(spaces.keySet())) {
            return Optional.of("observation has tensors " + o.tensors().keySet() + " but " + describe()
                    + " expects " + spaces.keySet());
        }
        for (Map.Entry<String, Space> e : spaces.entrySet()) {
            Optional<String> v = e.getValue().violation(o.tensors().get(e.getKey()));
            if (v.isPresent()) {
                return Optional.of("'" + e.getKey() + "': " + v.get());
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> observationViolation(Observation observation) {
        return violation(observation);
    }

    @Override
    public Observation sample(RandomGenerator rng) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        spaces.forEach((name, s) -> m.put(name, (Tensor) s.sample(rng)));
        return Observation.of(m);
    }

    @Override
    public String describe() {
        return spaces.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue().describe())
                .collect(Collectors.joining(", ", "Dict(", ")"));
    }
}
