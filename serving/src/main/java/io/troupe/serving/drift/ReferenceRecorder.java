package io.troupe.serving.drift;

import io.troupe.core.Categorical;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.Tensor;
import io.troupe.environments.Env;
import io.troupe.environments.VectorEnv;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Records a policy's {@link ReferenceProfile} from greedy evaluation episodes in its own env (what {@code ./troupe
 * serve} does at deploy time when no profile was exported beside the model). Blocking: run it off Pekko's threads.
 */
public final class ReferenceRecorder {
    /** Env copies stepped together. */
    static final int ENVS = 8;

    private ReferenceRecorder() {
    }

    /** The features a drift monitor compares: every float tensor of the observation, flattened in name order. */
    public static double[] features(Observation observation) {
        int n = 0;
        for (Tensor t : observation.tensors().values()) {
            if (t instanceof FloatTensor f) {
                n += f.data().length;
            }
        }
        double[] out = new double[n];
        int i = 0;
        for (Tensor t : observation.tensors().values()) {
            if (t instanceof FloatTensor f) {
                for (float v : f.data()) {
                    out[i++] = v;
                }
            }
        }
        return out;
    }

    /**
     * A profile from {@code episodes} greedy episodes of {@code policy} on copies of the env {@code envs} makes
     * (reset from {@code seed}).
     */
    public static ReferenceProfile record(Supplier<? extends Env> envs, Policy policy, int episodes, long seed) {
        List<double[]> rows = new ArrayList<>();
        List<Integer> actions = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<Double> returns = new ArrayList<>();
        int actionCount = 0;
        int copies = Math.min(ENVS, episodes);
        try (VectorEnv vec = VectorEnv.of(envs, copies)) {
            vec.setEpisodeListener((i, ret, len, term, success) -> {
                if (returns.size() < episodes) {
                    returns.add(ret);
                }
            });
            vec.reset(seed);
            int[] chosen = new int[copies];
            while (returns.size() < episodes) {
                ObservationBatch batch = vec.observations();
                Policy.Evaluation eval = policy.evaluate(batch);
                actionCount = eval.actions();
                for (int e = 0; e < copies; e++) {
                    chosen[e] = Categorical.argmax(eval.logits(), e * actionCount, actionCount);
                    rows.add(features(batch.read(e)));
                    actions.add(chosen[e]);
                    values.add((double) eval.values()[e]);
                }
                vec.step(chosen);
            }
        }
        return ReferenceProfile.of(rows, actions.stream().mapToInt(Integer::intValue).toArray(), actionCount,
                values.stream().mapToDouble(Double::doubleValue).toArray(),
                returns.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
