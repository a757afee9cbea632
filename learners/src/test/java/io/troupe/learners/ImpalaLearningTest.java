package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.impala.ImpalaUpdate;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * IMPALA learns: 8 CartPole copies act with a copy of the policy that is one update behind (so V-trace corrects a
 * real lag), and the 50-episode mean return rises from the random policy's ~22 to well above it.
 */
class ImpalaLearningTest {
    private static final int ENVS = 8;
    private static final int LENGTH = 32;

    @Test
    void vtraceActorCriticImprovesCartPole() {
        EnvRegistry registry = EnvRegistry.defaults();
        try (VectorEnv envs = VectorEnv.of(() -> registry.make("CartPole-v1"), ENVS);
             PolicyModel learner = PolicyModel.create(envs.spec(), ModelConfig.mlp(64, 64), 1, Device.cpu());
             PolicyModel actor = PolicyModel.create(envs.spec(), ModelConfig.mlp(64, 64), 1, Device.cpu());
             Adam adam = Adam.withDefaults(learner.parameters(), learner.manager())) {
            List<Double> returns = new ArrayList<>();
            envs.setEpisodeListener((i, ret, len, term, success) -> returns.add(ret));
            envs.reset(3);
            SplittableRandom rng = new SplittableRandom(3);
            ImpalaConfig config = new ImpalaConfig(1e-3, 0.99, 1.0, 1.0, 1.0, 1.0, 0.01, 0.5, 40.0, ENVS);
            double[] probs = new double[2];
            boolean skipped = false;
            for (int update = 0; update < 300; update++) {
                List<Unroll> unrolls = collect(envs, actor, rng, probs);
                actor.load(learner.weights(update)); // the actor is one version behind the learner
                ImpalaUpdate.Stats s = ImpalaUpdate.update(learner, adam, unrolls, config, config.learningRate());
                skipped |= s.skipped();
                if (returns.size() >= 50 && mean(returns, 50) >= 150) {
                    break;
                }
            }
            assertFalse(skipped, "no update was skipped");
            double last = mean(returns, 50);
            assertTrue(last >= 150, "50-episode mean return " + last + " after " + returns.size() + " episodes");
        }
    }

    private static double mean(List<Double> xs, int n) {
        return xs.subList(xs.size() - n, xs.size()).stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    private static List<Unroll> collect(VectorEnv envs, PolicyModel actor, SplittableRandom rng, double[] probs) {
        List<ObservationBatch> obs = new ArrayList<>();
        int[][] actions = new int[ENVS][LENGTH];
        float[][] logp = new float[ENVS][LENGTH];
        float[][] rewards = new float[ENVS][LENGTH];
        boolean[][] term = new boolean[ENVS][LENGTH];
        boolean[][] trunc = new boolean[ENVS][LENGTH];
        for (int e = 0; e < ENVS; e++) {
            obs.add(ObservationBatch.forSpace(envs.spec().observationSpace(), LENGTH + 1));
        }
        int[] step = new int[ENVS];
        for (int t = 0; t < LENGTH; t++) {
            float[] logits = actor.infer(envs.observations()).logits();
            for (int e = 0; e < ENVS; e++) {
                envs.observations().copyRow(e, obs.get(e), t);
                double m = Math.max(logits[2 * e], logits[2 * e + 1]);
                double p0 = Math.exp(logits[2 * e] - m);
                double p1 = Math.exp(logits[2 * e + 1] - m);
                probs[0] = p0 / (p0 + p1);
                probs[1] = p1 / (p0 + p1);
                int a = rng.nextDouble() < probs[0] ? 0 : 1;
                step[e] = a;
                actions[e][t] = a;
                logp[e][t] = (float) Math.log(probs[a]);
            }
            envs.step(step);
            for (int e = 0; e < ENVS; e++) {
                rewards[e][t] = (float) envs.rewards()[e];
                term[e][t] = envs.terminated()[e];
                trunc[e][t] = envs.truncated()[e];
            }
        }
        List<Unroll> out = new ArrayList<>();
        for (int e = 0; e < ENVS; e++) {
            envs.observations().copyRow(e, obs.get(e), LENGTH);
            out.add(new Unroll("actor-" + e, 0, obs.get(e), actions[e], new float[0], rewards[e], term[e], trunc[e],
                    new float[0], logp[e], new float[0], 0, 0));
        }
        return out;
    }
}
