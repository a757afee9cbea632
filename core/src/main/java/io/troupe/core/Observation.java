package io.troupe.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an environment shows the agent: one or more named tensors (modalities), in a fixed order. An environment with a
 * plain {@code Box} observation space yields a single tensor named {@value #SINGLE}; a {@code Dict} space yields one
 * tensor per sub-space ({@code image}, {@code mission}, {@code state}, ...). Compares by content.
 */
public final class Observation {
    /** The name of the only tensor of an observation from a non-{@code Dict} space. */
    public static final String SINGLE = "obs";

    private final Map<String, Tensor> tensors;

    private Observation(Map<String, Tensor> tensors) {
        this.tensors = tensors;
    }

    /** An observation made of one tensor, for non-{@code Dict} observation spaces. */
    public static Observation of(Tensor tensor) {
        if (tensor == null) {
            throw new IllegalArgumentException("observation tensor is null");
        }
        return new Observation(Map.of(SINGLE, tensor));
    }

    /** An observation made of named tensors, kept in the map's iteration order. */
    public static Observation of(Map<String, ? extends Tensor> tensors) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("an observation needs at least one tensor");
        }
        LinkedHashMap<String, Tensor> copy = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (v == null) {
                throw new IllegalArgumentException("observation tensor '" + k + "' is null");
            }
            copy.put(k, v);
        });
        return new Observation(Collections.unmodifiableMap(copy));
    }

    /** The named tensors, in order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The tensor called {@code name}; the error lists the names there are. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("observation has no tensor '" + name + "'; it has " + tensors.keySet());
        }
        return t;
    }

    /** The only tensor of a single-tensor observation. */
    public Tensor single() {
        if (tensors.size() != 1) {
            throw new IllegalStateException("observation has " + tensors.size() + " tensors " + tensors.keySet()
                    + "; single() needs exactly one");
        }
        return tensors.values().iterator().next();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Observation other && tensors.equals(other.tensors);
    }

    @Override
    public int hashCode() {
        return tensors.hashCode();
    }

    @Override
    public String toString() {
        return "Observation" + tensors;
    }
}
