package io.troupe.cluster.run;

import com.typesafe.config.Config;
import io.troupe.core.Categorical;
import io.troupe.core.Policy;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a policy greedily (the most likely action) for a number of episodes and reports the mean return, success rate
 * and episode length. Episodes are counted in the order they end; extra ones ending on the same step are dropped.
 */
public final class Evaluation {

    /** What {@code ./troupe eval} prints. */
    public record Result(int episodes, double meanReturn, double successRate, double meanLength) {
    }

    private Evaluation() {
    }

    public static Result run(EnvRegistry registry, String envId, Config overrides, Policy policy,
                             int episodes, int envs, long seed) {
        List<double[]> done = new ArrayList<>();
        try (VectorEnv vec = VectorEnv.of(() -> registry.make(envId, overrides), envs)) {
            vec.setEpisodeListener((i, ret, len, term, success) -> {
                if (done.size() < episodes) {
                    done.add(new double[] {ret, success ? 1 : 0, len});
                }
            });
            vec.reset(seed);
            int[] actions = new int[envs];
            while (done.size() < episodes) {
                Policy.Evaluation eval = policy.evaluate(vec.observations());
                int n = eval.actions();
                for (int e = 0; e < envs; e++) {
                    actions[e] = Categorical.argmax(eval.logits(), e * n, n);
                }
                vec.step(actions);
            }
        }
        double r = 0;
        double s = 0;
        double l = 0;
        for (double[] d : done) {
            r += d[0];
            s += d[1];
            l += d[2];
        }
        return new Result(done.size(), r / done.size(), s / done.size(), l / done.size());
    }
}
