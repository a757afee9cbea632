package io.troupe.environments;

import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.environments.reward.RewardShaper;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * K copies of an env stepped together, with automatic reset, writing into contiguous per-modality arrays
 * ({@link #observations()}) that batched inference reads directly. Nothing is allocated per step.
 *
 * <p>Auto-reset is same-step, as in Gymnasium's {@code SyncVectorEnv} before 1.0: when copy {@code i} ends an episode,
 * its last observation is copied to row {@code i} of {@link #finalObservations()} (needed to bootstrap a truncated
 * episode), the copy is reset from its continuing random stream, and row {@code i} of {@link #observations()} holds
 * the first observation of the next episode. Copy {@code i} is seeded with {@code seed + i}.
 */
public final class VectorEnv implements AutoCloseable {

    /** Called when a copy finishes an episode, with the env's own return. */
    @FunctionalInterface
    public interface EpisodeListener {
        void onEpisodeEnd(int envIndex, double episodeReturn, int episodeLength, boolean terminated, boolean success);
    }

    private final Env[] envs;
    private final EnvSpec spec;
    private final int actionDim;
    private final ObservationBatch observations;
    private final ObservationBatch finalObservations;
    private final double[] rewards;
    private final boolean[] terminated;
    private final boolean[] truncated;
    private final boolean[] success;
    private final double[] episodeReturns;
    private final int[] episodeLengths;
    private final Action.Continuous[] continuousActions;
    private final StepOutcome outcome = new StepOutcome();
    private EpisodeListener listener = (i, r, l, t, s) -> { };
    private RewardShaper shaper;
    private final double[] envRewards;
    private boolean started;

    public VectorEnv(List<? extends Env> copies) {
        if (copies.isEmpty()) {
            throw new IllegalArgumentException("a vector env needs at least one env");
        }
        this.envs = copies.toArray(new Env[0]);
        this.spec = envs[0].spec();
        for (Env e : envs) {
            if (!e.spec().id().equals(spec.id()) || !e.spec().observationSpace().equals(spec.observationSpace())) {
                throw new IllegalArgumentException("vector env copies must share one spec: " + spec.id() + " vs "
                        + e.spec().id());
            }
        }
        int k = envs.length;
        this.observations = ObservationBatch.forSpace(spec.observationSpace(), k);
        this.finalObservations = ObservationBatch.forSpace(spec.observationSpace(), k);
        this.rewards = new double[k];
        this.envRewards = new double[k];
        this.terminated = new boolean[k];
        this.truncated = new boolean[k];
        this.success = new boolean[k];
        this.episodeReturns = new double[k];
        this.episodeLengths = new int[k];
        if (spec.actionSpace() instanceof Box b) {
            actionDim = b.size();
            continuousActions = new Action.Continuous[k];
            for (int i = 0; i < k; i++) {
                continuousActions[i] = new Action.Continuous(new float[actionDim]);
            }
        } else {
            actionDim = 0;
            continuousActions = null;
        }
    }

    /** {@code k} copies made by {@code factory}. */
    public static VectorEnv of(Supplier<? extends Env> factory, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("a vector env needs k >= 1 copies, got " + k);
        }
        List<Env> list = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            list.add(factory.get());
        }
        return new VectorEnv(list);
    }

    public EnvSpec spec() {
        return spec;
    }

    /** Number of copies K. */
    public int size() {
        return envs.length;
    }

    public void setEpisodeListener(EpisodeListener listener) {
        this.listener = listener == null ? (i, r, l, t, s) -> { } : listener;
    }

    /**
     * Computes {@link #rewards()} with {@code shaper} instead of the envs' own rewards ({@link #envRewards()} keeps
     * those; the episode listener still gets the env's own return). Set it before {@link #reset}.
     */
    public void setRewardShaper(RewardShaper shaper) {
        this.shaper = shaper;
        if (shaper != null && started) {
            for (int i = 0; i < envs.length; i++) {
                shaper.started(i, envs[i], observations);
            }
        }
    }

    /** Resets every copy; copy {@code i} gets seed {@code seed + i}. */
    public void reset(long seed) {
        for (int i = 0; i < envs.length; i++) {
            envs[i].resetInto(seed + i, observations, i);
            episodeReturns[i] = 0;
            episodeLengths[i] = 0;
            if (shaper != null) {
                shaper.started(i, envs[i], observations);
            }
        }
        started = true;
    }

    /** Steps every copy with a discrete action ({@code actions[i]} for copy {@code i}). */
    public void step(int[] actions) {
        checkStep(actions.length, envs.length, "discrete actions");
        if (!(spec.actionSpace() instanceof Discrete)) {
            throw new IllegalArgumentException(spec.id() + ": step(int[]) needs a Discrete action space, not "
                    + spec.actionSpace().describe());
        }
        for (int i = 0; i < envs.length; i++) {
            stepOne(i, Action.discrete(actions[i]), actions[i]);
        }
    }

    /** Steps every copy with a continuous action: {@code actions} holds K rows of the action dimension. */
    public void step(float[] actions) {
        if (continuousActions == null) {
            throw new IllegalArgumentException(spec.id() + ": step(float[]) needs a Box action space, not "
                    + spec.actionSpace().describe());
        }
        checkStep(actions.length, envs.length * actionDim, "continuous action values (K x " + actionDim + ")");
        for (int i = 0; i < envs.length; i++) {
            System.arraycopy(actions, i * actionDim, continuousActions[i].values(), 0, actionDim);
            stepOne(i, continuousActions[i], 0);
        }
    }

    private void checkStep(int got, int expected, String what) {
        if (!started) {
            throw new IllegalStateException(spec.id() + ": vector env stepped before reset(seed)");
        }
        if (got != expected) {
            throw new IllegalArgumentException(spec.id() + ": expected " + expected + " " + what + ", got " + got);
        }
    }

    private void stepOne(int i, Action action, int actionIndex) {
        Env env = envs[i];
        env.stepInto(action, observations, i, outcome);
        envRewards[i] = outcome.reward;
        rewards[i] = shaper == null ? outcome.reward : shaper.reward(i, env, actionIndex, outcome, observations);
        terminated[i] = outcome.terminated;
        truncated[i] = outcome.truncated;
        success[i] = outcome.success;
        episodeReturns[i] += outcome.reward;
        episodeLengths[i]++;
        if (outcome.terminated || outcome.truncated) {
            observations.copyRow(i, finalObservations, i);
            listener.onEpisodeEnd(i, episodeReturns[i], episodeLengths[i], outcome.terminated, outcome.success);
            episodeReturns[i] = 0;
            episodeLengths[i] = 0;
            env.resetInto(observations, i);
            if (shaper != null) {
                shaper.started(i, env, observations);
            }
        }
    }

    /** Current observations (after auto-reset), one row per copy. */
    public ObservationBatch observations() {
        return observations;
    }

    /** Last observation of the episode that just ended, valid in the rows where {@link #done(int)}. */
    public ObservationBatch finalObservations() {
        return finalObservations;
    }

    /** The last step's rewards: the reward shaper's when one is set, else the envs' own. */
    public double[] rewards() {
        return rewards;
    }

    /** The last step's rewards as the envs gave them. */
    public double[] envRewards() {
        return envRewards;
    }

    public boolean[] terminated() {
        return terminated;
    }

    public boolean[] truncated() {
        return truncated;
    }

    /** Whether the episode that just ended in each row succeeded (for envs that define success). */
    public boolean[] success() {
        return success;
    }

    /** Whether copy {@code i} ended an episode on the last step. */
    public boolean done(int i) {
        return terminated[i] || truncated[i];
    }

    /** Copy {@code i} itself (for inspection; do not step it directly). */
    public Env env(int i) {
        return envs[i];
    }

    @Override
    public void close() {
        for (Env e : envs) {
            e.close();
        }
    }
}
