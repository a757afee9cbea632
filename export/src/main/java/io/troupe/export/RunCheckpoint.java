package io.troupe.export;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A trained policy as a run left it on disk: the run's {@code config.conf} (env id, env overrides, model), and a
 * checkpoint folder ({@code weights.trpw}, {@code state.properties}, {@code MANIFEST}) verified against its manifest.
 * Export, serving and evaluation all open a run through this, so a missing or damaged checkpoint or a checkpoint of
 * another shape gets the same one-line message everywhere.
 *
 * @param runDir        the run directory ({@code runs/<id>})
 * @param checkpointDir the checkpoint folder the weights came from ({@code checkpoints/latest} usually)
 * @param config        the run's resolved config (its {@code config.conf} over every module's defaults)
 * @param envId         the env the policy was trained on
 * @param envOverrides  the run's {@code troupe.train.env-overrides}
 * @param spec          the env's spec (observation and action spaces)
 * @param model         the network's kind and size
 * @param policy        the checkpoint's model id, counters (policy version, env steps) and parameter bytes
 */
public record RunCheckpoint(Path runDir, Path checkpointDir, Config config, String envId, Config envOverrides,
                            EnvSpec spec, ModelConfig model, LearnerCheckpoint.PolicyFiles policy) {

    /**
     * Keys an older run's {@code config.conf} holds (it records every resolved setting, defaults included) that are no
     * longer settings and that a job refuses (seventeenth session): dropped when a run is opened, so that pruning's
     * fine-tuning job and distillation, which train from the run's config, still start from an older run.
     */
    public static final List<String> WRITTEN_BY_OLDER_RUNS = List.of("troupe.learner.algorithm", "troupe.learner.batch-unrolls",
            "troupe.learner.role", "troupe.replay.role", "troupe.replay.table.priority-exponent");

    /**
     * Opens {@code path}: a run directory, its {@code checkpoints/} folder, or a checkpoint folder inside a run.
     * Every failure is an {@link IllegalArgumentException} whose message names the file and what was expected.
     */
    public static RunCheckpoint open(Path path) {
        Path folder = checkpointFolder(path);
        Path runDir = folder.getParent().getParent();
        Path conf = runDir.resolve("config.conf");
        if (!Files.isRegularFile(conf)) {
            throw new IllegalArgumentException("no config.conf in the run directory " + runDir + " of checkpoint "
                    + folder + "; expected a checkpoint inside a run directory (runs/<id>/checkpoints/latest)");
        }
        Config config;
        try {
            Config written = ConfigFactory.parseFile(conf.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            for (String key : WRITTEN_BY_OLDER_RUNS) {
                written = written.withoutPath(key);
            }
            config = written.withFallback(ConfigFactory.defaultReference()).resolve();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("config " + conf + " is unreadable: " + e.getMessage(), e);
        }
        String envId;
        Config overrides;
        ModelConfig model;
        try {
            envId = config.getString("troupe.train.env");
            overrides = config.hasPath("troupe.train.env-overrides")
                    ? config.getConfig("troupe.train.env-overrides") : ConfigFactory.empty();
            model = ModelConfig.fromConfig(config.getConfig("troupe.model"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("config " + conf + ": " + e.getMessage(), e);
        }
        EnvSpec spec;
        try (Env env = EnvRegistry.fromConfig(config).make(envId, overrides)) {
            spec = env.spec();
        }
        LearnerCheckpoint.PolicyFiles files;
        try {
            files = LearnerCheckpoint.readPolicy(folder);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("checkpoint " + folder + " is unreadable: " + e.getMessage(), e);
        }
        return new RunCheckpoint(runDir, folder, config, envId, overrides, spec, model, files);
    }

    /** The policy version the checkpoint holds. */
    public long policyVersion() {
        return policy.counters().policyVersion();
    }

    /** A copy of the env the run trained in: its registrations, its env id and its overrides. */
    public Env newEnv() {
        return EnvRegistry.fromConfig(config).make(envId, envOverrides);
    }

    /**
     * A DJL model of the run's architecture on {@code device} holding the checkpoint's weights. Weights of another
     * shape are refused naming the parameter that differs.
     */
    public PolicyModel newModel(Device device) {
        PolicyModel m = PolicyModel.create(spec, model, 0, device);
        try {
            m.load(weights());
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw new IllegalArgumentException("checkpoint " + checkpointDir + " does not fit the run's model "
                    + model.describe() + ": " + e.getMessage(), e);
        }
    }

    /** The checkpoint's parameters as the weights agents and learners exchange. */
    public PolicyWeights weights() {
        return new PolicyWeights(policy.modelId(), policyVersion(), policy.weights());
    }

    private static Path checkpointFolder(Path p) {
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("checkpoint " + p + " does not exist; expected a run directory "
                    + "(runs/<id>), its checkpoints/ folder, or a checkpoint folder");
        }
        for (Path candidate : List.of(p, p.resolve("latest"), p.resolve("checkpoints/latest"))) {
            if (Files.isRegularFile(candidate.resolve("weights.trpw"))) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        // latest/ damaged or gone: previous/ is still a checkpoint of the run
        for (Path candidate : List.of(p.resolve("previous"), p.resolve("checkpoints/previous"))) {
            if (Files.isRegularFile(candidate.resolve("weights.trpw"))) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalArgumentException("no checkpoint under " + p + ": expected weights.trpw in it, in latest/, "
                + "or in checkpoints/latest/");
    }
}
