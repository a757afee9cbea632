package io.troupe.serving.pipeline;

import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.parallel.MemoryBudget;
import io.troupe.serving.model.PolicySource;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A policy served through pipeline stages on other nodes ({@code troupe.serving.pipeline.stages} > 1): its replicas
 * are {@link StagedPolicy}s, so this node holds none of the parameters. Backend {@code pipeline}.
 */
public final class StagedSource implements PolicySource {
    private final ActorSystem<?> system;
    private final EnvSpec spec;
    private final ModelConfig model;
    private final String modelId;
    private final long version;
    private final String location;
    private final PipelineSettings settings;

    public StagedSource(ActorSystem<?> system, EnvSpec spec, ModelConfig model, String modelId, long version,
                        String location, PipelineSettings settings) {
        if (settings.stages() < 2) {
            throw new IllegalArgumentException("troupe.serving.pipeline.stages = " + settings.stages() + " is no "
                    + "pipeline; serve the checkpoint directly or set 2..troupe.model.layers (" + model.layers() + ")");
        }
        this.system = system;
        this.spec = spec;
        this.model = model;
        this.modelId = modelId;
        this.version = version;
        this.location = location;
        this.settings = settings;
    }

    /** The checkpoint's policy, served by its stages (which load their slices of the same checkpoint). */
    public static StagedSource of(ActorSystem<?> system, RunCheckpoint run, PipelineSettings settings) {
        return new StagedSource(system, run.spec(), run.model(), run.policy().modelId(), run.policyVersion(),
                run.checkpointDir().toString(), settings);
    }

    @Override
    public String backend() {
        return "pipeline";
    }

    @Override
    public String location() {
        return settings.stages() + " pipeline stages of " + location;
    }

    @Override
    public EnvSpec spec() {
        return spec;
    }

    @Override
    public String modelKind() {
        return model.kind().label();
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public long parameters() {
        return MemoryBudget.parameterCount(spec, model, 1);
    }

    @Override
    public long version() {
        return version;
    }

    @Override
    public Policy newReplica() {
        return new StagedPolicy(system, modelId, version, settings);
    }
}
