package io.troupe.serving.model;

import ai.djl.Device;
import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;

/**
 * Replicas of a freshly initialized DJL model (parameters from {@code seed}): an untrained policy of the right shape,
 * for benchmarks and tests, and the start of a serve node before the job's first weights arrive.
 */
public final class ModelSource implements PolicySource {
    private final EnvSpec spec;
    private final ModelConfig config;
    private final long seed;
    private final String modelId;
    private final long parameters;
    private final long version;

    /** Version 0 of a model initialized from {@code seed}. */
    public ModelSource(EnvSpec spec, ModelConfig config, long seed) {
        this(spec, config, seed, 0);
    }

    /**
     * A model initialized from {@code seed} that counts as {@code version}: -1 for the placeholder of a serve node
     * before the job's first weights, so that any published version is newer.
     */
    public ModelSource(EnvSpec spec, ModelConfig config, long seed, long version) {
        this.spec = spec;
        this.version = version;
        this.config = config;
        this.seed = seed;
        try (PolicyModel probe = PolicyModel.create(spec, config, seed, Device.cpu())) {
            this.modelId = probe.modelId();
            this.parameters = probe.parameterCount();
        }
    }

    @Override
    public String backend() {
        return "djl";
    }

    @Override
    public String location() {
        return "untrained " + config.describe() + " (seed " + seed + ")";
    }

    @Override
    public EnvSpec spec() {
        return spec;
    }

    @Override
    public String modelKind() {
        return config.kind().label();
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public long parameters() {
        return parameters;
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public Policy newReplica() {
        return PolicyModel.create(spec, config, seed, Device.cpu());
    }
}
