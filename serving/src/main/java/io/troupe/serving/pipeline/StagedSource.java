package io.troupe.serving.pipeline;

import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.parallel.MemoryBudget;
import io.troupe.serving.model.PolicySource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A policy served through pipeline stages on other nodes ({@code troupe.serving.pipeline.stages} > 1): its replicas
 * are {@link StagedPolicy}s, so this node holds none of the parameters. Backend {@code pipeline}; the location is
 * the checkpoint's (a reference profile beside it is found as for a checkpoint served whole).
 */
public final class StagedSource implements PolicySource {
    private final ActorSystem<?> system;
    private final EnvSpec spec;
    private final ModelConfig model;
    private final String modelId;
    private final long version;
    private final String location;
    private final PipelineSettings settings;
    /** Copies of the run's env as the run made it; null: the env id with default settings. */
    private final Supplier<Env> envs;

    public StagedSource(ActorSystem<?> system, EnvSpec spec, ModelConfig model, String modelId, long version,
                        String location, PipelineSettings settings) {
        this(system, spec, model, modelId, version, location, settings, null);
    }

    private StagedSource(ActorSystem<?> system, EnvSpec spec, ModelConfig model, String modelId, long version,
                         String location, PipelineSettings settings, Supplier<Env> envs) {
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
        this.envs = envs;
    }

    /** The checkpoint's policy, served by its stages (which load their slices of the same checkpoint). */
    public static StagedSource of(ActorSystem<?> system, RunCheckpoint run, PipelineSettings settings) {
        return new StagedSource(system, run.spec(), run.model(), run.policy().modelId(), run.policyVersion(),
                run.checkpointDir().toString(), settings, run::newEnv);
    }

    @Override
    public Env newEnv() {
        return envs != null ? envs.get() : PolicySource.super.newEnv();
    }

    /**
     * Waits until every stage is registered somewhere in the cluster ({@code troupe.serving.pipeline.await-stages} at
     * most), then returns; else the error of {@link StagedPolicy#findStages}, naming the stages missing. Blocking.
     */
    public StagedSource awaitStages() {
        long deadline = System.nanoTime() + settings.awaitStages().toNanos();
        while (true) {
            try {
                StagedPolicy.findStages(system, modelId, version, settings);
                return this;
            } catch (IllegalStateException e) {
                if (System.nanoTime() >= deadline) {
                    throw new IllegalStateException(e.getMessage() + " (waited troupe.serving.pipeline.await-stages = "
                            + settings.awaitStages().toSeconds() + " s)", e);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // registrations spread by gossip
            }
        }
    }

    @Override
    public String backend() {
        return "pipeline";
    }

    @Override
    public String location() {
        return location;
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
