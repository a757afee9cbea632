package io.troupe.environments;

import java.util.Optional;

/**
 * An env that can play its level through a curriculum: stages of rising difficulty that share the level's observation
 * and action spaces, the last stage being the level itself (RLlib's task-settable envs, with the stage decided inside
 * the env). Until {@link #startCurriculum()} is called the env plays its last stage only, so evaluations, baselines,
 * checks and benches see the level itself; a training job's agents start it on their env copies.
 *
 * <p>Each copy moves on by its own results: when its last episodes at a stage succeeded often enough (the env's
 * parameters say how many and how often), its next reset starts the next stage. The stage changes only at a reset, so
 * every episode is played at one stage, and {@link #endedStage()} says which.
 */
public interface Curriculum {
    /** How many stages the curriculum has, the level itself included (1: no curriculum). */
    int stages();

    /** The stage the current episode is played at, {@code 0 .. stages() - 1}. */
    int stage();

    /** The stage the last episode that ended was played at (what an agent reports with that episode). */
    int endedStage();

    /** From the next reset on, plays the stages from the first (without this call only the last stage is played). */
    void startCurriculum();

    /** {@code env}'s curriculum, looking under its wrappers; empty when it has none (or a single stage). */
    static Optional<Curriculum> of(Env env) {
        Env inner = env instanceof EnvWrapper w ? w.unwrapped() : env;
        return inner instanceof Curriculum c && c.stages() > 1 ? Optional.of(c) : Optional.empty();
    }

    /** Starts {@code env}'s curriculum when it has one; returns {@code env}. */
    static Env started(Env env) {
        of(env).ifPresent(Curriculum::startCurriculum);
        return env;
    }
}
