package io.troupe.core;

import java.util.Arrays;

/**
 * A versioned copy of a policy's parameters, as plain bytes: what learners publish and agents apply. {@code modelId}
 * names the architecture (weights only load into a model with the same id); versions increase with every publication.
 */
public record PolicyWeights(String modelId, long version, byte[] bytes) implements CrossNode {
    public PolicyWeights {
        if (modelId == null || bytes == null) {
            throw new IllegalArgumentException("policy weights need a model id and bytes");
        }
        if (version < 0) {
            throw new IllegalArgumentException("policy weights version must be >= 0, got " + version);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PolicyWeights w && modelId.equals(w.modelId) && version == w.version
                && Arrays.equals(bytes, w.bytes);
    }

    @Override
    public int hashCode() {
        return (modelId.hashCode() * 31 + Long.hashCode(version)) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "PolicyWeights(" + modelId + ", v" + version + ", " + bytes.length + " bytes)";
    }
}
