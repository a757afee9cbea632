package io.troupe.serving.model;

import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.learners.model.PolicyModel;
import java.util.Locale;

/**
 * What runs a DJL model's forward passes ({@code troupe.serving.backend}): DJL itself, or ONNX Runtime on an export of
 * the model made in memory at load time and again on every new version ({@link OnnxReplica}).
 */
public enum Backend {
    DJL, ONNX;

    /** Parses {@code djl} or {@code onnx}; anything else names {@code key} and the choices. */
    public static Backend parse(String value, String key) {
        for (Backend b : values()) {
            if (b.label().equals(value == null ? null : value.trim().toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new IllegalArgumentException(key + " must be djl or onnx, got '" + value + "'");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code source} with its replicas on this backend: itself for DJL or for a source that is not a DJL model (an
     * exported ONNX file is served by ONNX Runtime already).
     */
    public PolicySource apply(PolicySource source) {
        if (this == DJL || !source.backend().equals(DJL.label())) {
            return source;
        }
        return new Exported(source);
    }

    /** A DJL source whose replicas are {@link OnnxReplica}s. */
    private record Exported(PolicySource djl) implements PolicySource {
        @Override
        public String backend() {
            return ONNX.label();
        }

        @Override
        public String location() {
            return djl.location();
        }

        @Override
        public EnvSpec spec() {
            return djl.spec();
        }

        @Override
        public Env newEnv() {
            return djl.newEnv();
        }

        @Override
        public String modelKind() {
            return djl.modelKind();
        }

        @Override
        public String modelId() {
            return djl.modelId();
        }

        @Override
        public long parameters() {
            return djl.parameters();
        }

        @Override
        public long version() {
            return djl.version();
        }

        @Override
        public Policy newReplica() {
            Policy p = djl.newReplica();
            if (!(p instanceof PolicyModel model)) {
                p.close();
                throw new IllegalStateException("the source " + djl.location() + " gave no DJL model to export");
            }
            return new OnnxReplica(model, djl.version());
        }
    }
}
