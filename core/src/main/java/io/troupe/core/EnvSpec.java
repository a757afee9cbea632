package io.troupe.core;

import io.troupe.core.space.Space;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The static description of an environment: its versioned id, its spaces, its time limit and the mean return at which
 * it counts as solved.
 *
 * @param id                 versioned id such as {@code CartPole-v1}
 * @param maxEpisodeSteps    steps after which an episode is truncated, if any
 * @param rewardThreshold    mean return over 100 episodes at which the env counts as solved, if defined
 * @param definesSuccess     whether the env reports {@code info.success} when an episode ends
 */
public record EnvSpec(String id, Space observationSpace, Space actionSpace, OptionalInt maxEpisodeSteps,
                      OptionalDouble rewardThreshold, boolean definesSuccess) {

    /** {@code Name-vN}, optionally with a namespace: {@code acme/Maze-v2}. */
    public static final Pattern ID_PATTERN = Pattern.compile("^(?:[A-Za-z0-9_.:-]+/)?[A-Za-z][A-Za-z0-9_.:-]*-v\\d+$");

    public EnvSpec {
        checkId(id);
        if (observationSpace == null || actionSpace == null) {
            throw new IllegalArgumentException("env " + id + ": observation and action spaces are required");
        }
        if (maxEpisodeSteps == null) {
            maxEpisodeSteps = OptionalInt.empty();
        }
        if (rewardThreshold == null) {
            rewardThreshold = OptionalDouble.empty();
        }
        if (maxEpisodeSteps.isPresent() && maxEpisodeSteps.getAsInt() < 1) {
            throw new IllegalArgumentException("env " + id + ": max-episode-steps must be >= 1, got "
                    + maxEpisodeSteps.getAsInt());
        }
    }

    /** A spec without time limit, threshold or success. */
    public static EnvSpec of(String id, Space observationSpace, Space actionSpace) {
        return new EnvSpec(id, observationSpace, actionSpace, OptionalInt.empty(), OptionalDouble.empty(), false);
    }

    /** Throws if {@code id} is not a versioned id ({@code Name-vN}); the message says what is expected. */
    public static void checkId(String id) {
        if (id == null || !ID_PATTERN.matcher(id).matches()) {
            throw new IllegalArgumentException("'" + id + "' is not a versioned env id; expected Name-vN such as "
                    + "CartPole-v1 (letters, digits, _ . : -, optionally namespace/Name-vN)");
        }
    }

    public EnvSpec withMaxEpisodeSteps(int steps) {
        return new EnvSpec(id, observationSpace, actionSpace, OptionalInt.of(steps), rewardThreshold, definesSuccess);
    }

    public EnvSpec withRewardThreshold(double threshold) {
        return new EnvSpec(id, observationSpace, actionSpace, maxEpisodeSteps, OptionalDouble.of(threshold),
                definesSuccess);
    }

    public EnvSpec withSuccess(boolean defines) {
        return new EnvSpec(id, observationSpace, actionSpace, maxEpisodeSteps, rewardThreshold, defines);
    }

    /** A multi-line description for {@code troupe env list}. */
    public String describe() {
        return id + "\n  observation: " + observationSpace.describe() + "\n  action:      " + actionSpace.describe()
                + "\n  max episode steps: " + (maxEpisodeSteps.isPresent() ? maxEpisodeSteps.getAsInt() : "none")
                + ", reward threshold: " + (rewardThreshold.isPresent() ? rewardThreshold.getAsDouble() : "none")
                + (definesSuccess ? ", reports success" : "");
    }
}
