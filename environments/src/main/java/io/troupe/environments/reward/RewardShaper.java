package io.troupe.environments.reward;

import io.troupe.core.ObservationBatch;
import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;
import io.troupe.core.reward.RewardVariables;
import io.troupe.environments.Env;
import io.troupe.environments.StepOutcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Computes the rewards of a vectorized env's K copies with the active reward function, and switches functions when
 * a new version is offered: at each copy's next episode start ({@link SwitchAt#EPISODE}, the default, so no episode
 * mixes two rewards) or at its next step ({@link SwitchAt#STEP}). {@link #offer} may be called from any thread.
 *
 * <p>Fault isolation: a function that throws (any {@link Throwable} but the JVM's own errors, see
 * {@link RewardCallException#isFatal}), returns NaN or an infinity, or runs over its time budget (a Java class, see
 * {@link GuardedReward}) is dropped on this shaper (never adopted again), every copy using it falls back to the version
 * adopted before it (or the env's own reward), the step gets the fallback's reward, and the listener hears of it.
 * Nothing is allocated per step.
 */
public final class RewardShaper {
    /** When a copy adopts an offered version. */
    public enum SwitchAt {
        EPISODE, STEP;

        public static SwitchAt parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("troupe.reward.switch-at: '" + s + "' is not episode or step");
            }
        }
    }

    /** A compiled reward version. */
    public record Version(long version, RewardFunction function) {
        public static final Version ENV = new Version(0, RewardFunction.ENV_REWARD);
    }

    /** Hears that a reward version failed on some input and which version replaced it. */
    @FunctionalInterface
    public interface FallbackListener {
        void onFallback(long failedVersion, long fallbackVersion, String reason);
    }

    private final FeatureSource source;
    private final RewardVariables variables;
    private final RewardInput input;
    private final int features;
    private final SwitchAt switchAt;
    private final double[][] previous;
    private final int[] steps;
    private final double[] episodeReturns;
    private final Version[] current;
    private final long[] rewardVersions;
    private final List<Version> adopted = new ArrayList<>();
    private final Set<Long> failed = new HashSet<>();
    private volatile Version offered;
    private FallbackListener listener = (f, b, r) -> { };
    private long fallbacks;

    public RewardShaper(FeatureSource source, int copies, SwitchAt switchAt, Version initial) {
        this.source = source;
        this.variables = source.variables();
        this.input = new RewardInput(variables);
        this.features = variables.features().size();
        this.switchAt = switchAt;
        this.previous = new double[copies][features];
        this.steps = new int[copies];
        this.episodeReturns = new double[copies];
        this.current = new Version[copies];
        this.rewardVersions = new long[copies];
        this.offered = initial;
        Arrays.fill(current, initial);
        Arrays.fill(rewardVersions, initial.version());
        adopted.add(initial);
    }

    public RewardVariables variables() {
        return variables;
    }

    public void setFallbackListener(FallbackListener listener) {
        this.listener = listener == null ? (f, b, r) -> { } : listener;
    }

    /** Makes {@code version} the one copies switch to at their next switch point. Thread-safe. */
    public void offer(Version version) {
        this.offered = version;
    }

    /** The version copy {@code i} uses now (for its next reward, unless a switch point comes first). */
    public long version(int i) {
        return current[i].version();
    }

    /** The version that produced copy {@code i}'s last reward (its fallback's, when that reward needed one). */
    public long rewardVersion(int i) {
        return rewardVersions[i];
    }

    /** The latest version offered (what every copy will use once it reaches its switch point). */
    public long offeredVersion() {
        return offered.version();
    }

    /** Sum of copy {@code i}'s rewards under this shaper since its episode started. */
    public double episodeReturn(int i) {
        return episodeReturns[i];
    }

    /** Times a reward version failed and was replaced. */
    public long fallbacks() {
        return fallbacks;
    }

    /** Called after copy {@code i} was reset: its first state becomes the "previous" of its first step. */
    public void started(int i, Env env, ObservationBatch obs) {
        adoptOffered(i);
        steps[i] = 0;
        episodeReturns[i] = 0;
        double[] slots = input.slots();
        source.write(env, obs, i, slots, variables.featureOffset());
        System.arraycopy(slots, variables.featureOffset(), previous[i], 0, features);
    }

    /** The reward of copy {@code i}'s step that just happened (before any auto-reset). */
    public double reward(int i, Env env, int action, StepOutcome out, ObservationBatch obs) {
        if (switchAt == SwitchAt.STEP) {
            adoptOffered(i);
        }
        steps[i]++;
        double[] slots = input.slots();
        input.set(out.reward, action, steps[i], out.terminated, out.truncated, out.success);
        source.write(env, obs, i, slots, variables.featureOffset());
        System.arraycopy(previous[i], 0, slots, variables.previousOffset(), features);
        double r = evaluate(i);
        rewardVersions[i] = current[i].version();
        System.arraycopy(slots, variables.featureOffset(), previous[i], 0, features);
        episodeReturns[i] += r;
        return r;
    }

    private void adoptOffered(int i) {
        Version o = offered;
        if (o != current[i] && !failed.contains(o.version())) {
            current[i] = o;
            if (adopted.get(adopted.size() - 1) != o) {
                adopted.add(o);
            }
        }
    }

    private double evaluate(int i) {
        Version v = current[i];
        String reason;
        try {
            double r = v.function().reward(input);
            if (Double.isFinite(r)) {
                return r;
            }
            reason = "returned " + r;
        } catch (Throwable t) {
            reason = failure(t);
        }
        reason += " at step " + steps[i] + " with " + describeInput();
        failed.add(v.version());
        Version fallback = Version.ENV;
        for (int k = adopted.size() - 1; k >= 0; k--) {
            if (!failed.contains(adopted.get(k).version())) {
                fallback = adopted.get(k);
                break;
            }
        }
        for (int j = 0; j < current.length; j++) {
            if (current[j].version() == v.version()) {
                current[j] = fallback;
            }
        }
        fallbacks++;
        listener.onFallback(v.version(), fallback.version(), reason);
        try {
            double r = fallback.function().reward(input);
            if (Double.isFinite(r)) {
                return r;
            }
        } catch (Throwable t) {
            failure(t); // the env's own reward below
        }
        return input.envReward();
    }

    /** Why a call failed; rethrows what is the JVM's problem rather than the version's ({@link RewardCallException}). */
    private static String failure(Throwable t) {
        if (RewardCallException.isFatal(t)) {
            throw (VirtualMachineError) t;
        }
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt(); // thrown sneakily: keep the interrupt for the thread's owner
        }
        return t instanceof RewardCallException ? t.getMessage() : "threw " + t;
    }

    private String describeInput() {
        StringBuilder b = new StringBuilder();
        double[] slots = input.slots();
        List<String> names = variables.names();
        for (int s = 0; s < names.size() && b.length() < 300; s++) {
            b.append(s == 0 ? "" : ", ").append(names.get(s)).append('=').append((float) slots[s]);
        }
        return b.toString();
    }
}
