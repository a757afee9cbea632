package io.troupe.cluster.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The {@code troupe.train} settings, read once and validated; every error names the key.
 *
 * @param env            registered env id
 * @param envOverrides   {@code max-episode-steps} and {@code params} on top of the env's registration
 * @param algorithm      what trains ({@code ppo}, {@code impala}) or the uniform-random baseline ({@code random})
 * @param mode           one of {@link #MODES}: {@code reference} (one thread, no actors, PPO only) or {@code cluster}
 * @param seed           run seed; env copy {@code i} is seeded {@code seed * 1000 + i}
 * @param numAgents      agents (each steps {@code envsPerAgent} env copies)
 * @param envsPerAgent   env copies per agent (K of its vectorized env)
 * @param maxEnvSteps    step budget: the run stops when it is spent
 * @param maxWallTime    time budget
 * @param targetReturn   100-episode mean return that ends the run as solved; empty: the env's reward threshold
 * @param targetSuccessRate 100-episode success rate that ends the run as solved (envs that report success)
 * @param reportInterval how often a metrics line and a progress line are written
 * @param runsDir        where {@code <run-id>/} directories are created
 * @param reward         the reward the agents train on from the first step: empty (the env's own), one of the env's
 *                       reward template names, or an expression ({@link InitialReward})
 */
public record TrainSettings(String env, Config envOverrides, Algorithm algorithm, RunMode mode, long seed,
                            int numAgents, int envsPerAgent, long maxEnvSteps, Duration maxWallTime,
                            OptionalDouble targetReturn, OptionalDouble targetSuccessRate, Duration reportInterval,
                            Path runsDir, String reward) {

    /** Where a job can train: the single-threaded reference loop, or a cluster (embedded or of nodes). */
    public static final List<RunMode> MODES = List.of(RunMode.REFERENCE, RunMode.CLUSTER);

    public TrainSettings {
        Objects.requireNonNull(algorithm, "troupe.train.algorithm");
        Objects.requireNonNull(reward, "troupe.train.reward");
        reward = reward.strip();
        if (!reward.isEmpty() && mode == RunMode.REFERENCE) {
            throw new IllegalArgumentException("troupe.train.reward = \"" + reward + "\" is applied by the agents' "
                    + "reward shapers: it needs troupe.train.mode = cluster (the reference loop trains on the env's own "
                    + "reward)");
        }
        if (!reward.isEmpty() && algorithm == Algorithm.RANDOM) {
            throw new IllegalArgumentException("troupe.train.reward = \"" + reward + "\" shapes what a learner trains "
                    + "on: troupe.train.algorithm = random has no learner");
        }
        if (!MODES.contains(mode)) {
            throw new IllegalArgumentException("troupe.train.mode: mode '" + mode + "' is not one a job sets; "
                    + "available: " + MODES.stream().map(RunMode::id).collect(Collectors.joining(", ")));
        }
        if ((algorithm == Algorithm.IMPALA || algorithm == Algorithm.DISTILL) && mode == RunMode.REFERENCE) {
            throw new IllegalArgumentException("troupe.train.algorithm = " + algorithm + " runs with troupe.train.mode "
                    + "= cluster (the reference loop is PPO's)");
        }
        positive("num-agents", numAgents);
        positive("envs-per-agent", envsPerAgent);
        positive("max-env-steps", maxEnvSteps);
        if (maxWallTime.isNegative() || maxWallTime.isZero()) {
            throw new IllegalArgumentException("troupe.train.max-wall-time must be positive, got " + maxWallTime);
        }
        if (reportInterval.toMillis() < 50) {
            throw new IllegalArgumentException("troupe.train.report-interval must be at least 50ms, got "
                    + reportInterval);
        }
        if (targetReturn.isPresent() && !Double.isFinite(targetReturn.getAsDouble())) {
            throw new IllegalArgumentException("troupe.train.target-return must be a finite number");
        }
        if (targetSuccessRate.isPresent() && !(targetSuccessRate.getAsDouble() > 0
                && targetSuccessRate.getAsDouble() <= 1)) {
            throw new IllegalArgumentException("troupe.train.target-success-rate must be in (0, 1], got "
                    + targetSuccessRate.getAsDouble());
        }
    }

    private static void positive(String key, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("troupe.train." + key + " must be >= 1, got " + value);
        }
    }

    /** Total env copies. */
    public int totalEnvs() {
        return numAgents * envsPerAgent;
    }

    private static OptionalDouble optionalDouble(Config c, String key) {
        return c.hasPath(key) ? OptionalDouble.of(c.getDouble(key)) : OptionalDouble.empty();
    }

    /** The mode a job config names; an unknown one is an error naming the key and {@link #MODES}. */
    private static RunMode mode(String id) {
        for (RunMode m : MODES) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("troupe.train.mode: unknown mode '" + id + "'; available: "
                + MODES.stream().map(RunMode::id).collect(Collectors.joining(", ")));
    }

    /** Reads {@code troupe.train} from a resolved config. */
    public static TrainSettings fromConfig(Config root) {
        Config c = root.getConfig("troupe.train");
        try {
            return new TrainSettings(
                    c.getString("env"),
                    c.hasPath("env-overrides") ? c.getConfig("env-overrides") : ConfigFactory.empty(),
                    Algorithm.parse("troupe.train.algorithm", c.getString("algorithm")),
                    mode(c.getString("mode")),
                    c.getLong("seed"),
                    c.getInt("num-agents"),
                    c.getInt("envs-per-agent"),
                    c.getLong("max-env-steps"),
                    c.getDuration("max-wall-time"),
                    optionalDouble(c, "target-return"),
                    optionalDouble(c, "target-success-rate"),
                    c.getDuration("report-interval"),
                    Path.of(c.getString("runs-dir")),
                    c.getString("reward"));
        } catch (ConfigException.Missing | ConfigException.WrongType | ConfigException.BadValue e) {
            throw new IllegalArgumentException("troupe.train: " + e.getMessage(), e);
        }
    }
}
