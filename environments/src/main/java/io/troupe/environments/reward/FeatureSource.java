package io.troupe.environments.reward;

import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.reward.RewardVariables;
import io.troupe.core.space.Box;
import io.troupe.environments.Env;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.RewardFeatures;
import java.util.ArrayList;
import java.util.List;

/**
 * Where an env's reward features come from: the env itself when it (or an env it wraps) implements
 * {@link RewardFeatures}; otherwise, for a 1-D float observation, its elements as {@code obs_0, obs_1, ...}; otherwise
 * none (the built-in variables remain).
 */
public final class FeatureSource {
    private final List<String> names;
    private final boolean fromEnv;

    private FeatureSource(List<String> names, boolean fromEnv) {
        this.names = names;
        this.fromEnv = fromEnv;
    }

    public static FeatureSource of(Env env) {
        RewardFeatures f = features(env);
        if (f != null) {
            return new FeatureSource(List.copyOf(f.rewardFeatureNames()), true);
        }
        if (env.spec().observationSpace() instanceof Box b && b.shape().length == 1 && b.dtype() == DType.FLOAT32) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < b.size(); i++) {
                names.add("obs_" + i);
            }
            return new FeatureSource(names, false);
        }
        return new FeatureSource(List.of(), false);
    }

    private static RewardFeatures features(Env env) {
        Env e = env;
        while (true) {
            if (e instanceof RewardFeatures f) {
                return f;
            }
            if (e instanceof EnvWrapper w) {
                e = w.inner();
            } else {
                return null;
            }
        }
    }

    public List<String> names() {
        return names;
    }

    public RewardVariables variables() {
        return new RewardVariables(names);
    }

    /** Writes the features of {@code env}'s current state (or row {@code row} of {@code obs}) at {@code out[offset..]}. */
    public void write(Env env, ObservationBatch obs, int row, double[] out, int offset) {
        if (names.isEmpty()) {
            return;
        }
        if (fromEnv) {
            features(env).writeRewardFeatures(out, offset);
        } else {
            float[] f = obs.floats(0);
            int n = names.size();
            for (int j = 0; j < n; j++) {
                out[offset + j] = f[row * n + j];
            }
        }
    }
}
