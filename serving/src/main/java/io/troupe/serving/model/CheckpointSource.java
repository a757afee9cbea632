package io.troupe.serving.model;

import ai.djl.Device;
import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.PolicyModel;
import java.nio.file.Path;

/** Replicas of a run's checkpoint as DJL models on the CPU ({@link RunCheckpoint#newModel}). */
public final class CheckpointSource implements PolicySource {
    private final RunCheckpoint run;
    private final long parameters;
    private final String modelId;

    private CheckpointSource(RunCheckpoint run) {
        this.run = run;
        try (PolicyModel probe = run.newModel(Device.cpu())) {
            this.parameters = probe.parameterCount();
            this.modelId = probe.modelId();
        }
    }

    /** Opens a run directory, its checkpoints/ folder or a checkpoint folder; errors name the file. */
    public static CheckpointSource open(Path path) {
        return new CheckpointSource(RunCheckpoint.open(path));
    }

    public RunCheckpoint run() {
        return run;
    }

    @Override
    public String backend() {
        return "djl";
    }

    @Override
    public String location() {
        return run.checkpointDir().toString();
    }

    @Override
    public EnvSpec spec() {
        return run.spec();
    }

    /** The run's env, with its registrations and overrides. */
    @Override
    public Env newEnv() {
        return run.newEnv();
    }

    @Override
    public String modelKind() {
        return run.model().kind().label();
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
        return run.policyVersion();
    }

    @Override
    public Policy newReplica() {
        return run.newModel(Device.cpu());
    }
}
