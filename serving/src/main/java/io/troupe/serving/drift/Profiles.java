package io.troupe.serving.drift;

import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.Env;
import io.troupe.serving.model.PolicySource;
import io.troupe.serving.model.ServedPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A served policy's reference profile at deploy time: the {@value ReferenceProfile#FILE} exported beside the model
 * (or in the run directory) when there is one, else recorded now from greedy evaluation episodes in the policy's env
 * as {@link PolicySource#newEnv} makes it (a run's own settings for a checkpoint); for a version a serve node follows,
 * recorded from that version's weights in the job's env ({@link #forWeights}). An env whose spaces are not the
 * policy's is refused with the reason. Blocking: run it off Pekko's threads.
 */
public final class Profiles {
    /** The evaluation episodes' seed. */
    static final long SEED = 20_261_130L;
    private static final Logger LOG = LoggerFactory.getLogger(Profiles.class);

    private Profiles() {
    }

    /**
     * Attaches a drift monitor with {@code source}'s profile to {@code policy} when monitoring is on, whether the
     * policy was served at start or loaded later; a source without a profile is served all the same (its drift routes
     * say monitoring is off) and the reason is logged. Blocking, as {@link #forSource}.
     */
    public static void attach(ServedPolicy policy, PolicySource source, DriftSettings settings) {
        if (!settings.enabled()) {
            return;
        }
        try {
            policy.attachDrift(new DriftMonitor(forSource(source, settings), settings, source.version()));
        } catch (IllegalArgumentException e) {
            LOG.warn("drift monitoring is off for policy '{}': {}", policy.name(), e.getMessage());
        }
    }

    public static ReferenceProfile forSource(PolicySource source, DriftSettings settings) {
        Path where = Path.of(source.location());
        Path dir = Files.isDirectory(where) ? where : where.toAbsolutePath().getParent();
        if (dir != null && Files.isRegularFile(dir.resolve(ReferenceProfile.FILE))) {
            return ReferenceProfile.read(dir.resolve(ReferenceProfile.FILE));
        }
        checkSpaces(source.location(), source, source::newEnv, " (a model exported before its contract carried the "
                + "env's settings is not the policy's); put a " + ReferenceProfile.FILE + " beside the model");
        try (Policy policy = source.newReplica()) {
            return ReferenceRecorder.record(source::newEnv, policy, settings.referenceEpisodes(), SEED);
        }
    }

    /**
     * The profile of {@code weights} (a version of {@code source}'s model a serve node follows), recorded from greedy
     * episodes in the envs {@code envs} makes (the job's own env, with its settings).
     */
    public static ReferenceProfile forWeights(PolicySource source, PolicyWeights weights, Supplier<? extends Env> envs,
                                              DriftSettings settings) {
        checkSpaces("version " + weights.version() + " of " + weights.modelId(), source, envs, "");
        try (Policy policy = source.newReplica()) {
            policy.load(weights);
            return ReferenceRecorder.record(envs, policy, settings.referenceEpisodes(), SEED);
        }
    }

    private static void checkSpaces(String what, PolicySource source, Supplier<? extends Env> envs, String hint) {
        try (Env env = envs.get()) {
            EnvSpec made = env.spec();
            EnvSpec policy = source.spec();
            if (!made.observationSpace().equals(policy.observationSpace())
                    || !made.actionSpace().equals(policy.actionSpace())) {
                throw new IllegalArgumentException("no reference profile for " + what + ": the env it "
                        + "would be recorded in observes " + made.observationSpace().describe() + " and acts in "
                        + made.actionSpace().describe() + ", the policy " + policy.observationSpace().describe()
                        + " and " + policy.actionSpace().describe() + hint);
            }
        }
    }
}
