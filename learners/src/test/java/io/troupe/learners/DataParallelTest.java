package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Discrete;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.impala.ImpalaUpdate;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoStats;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel training: a minibatch split over replicas gives the step the whole minibatch gives on one device.
 * Two replicas on the CPU stand in for two GPUs here (the split, the gradient sum and the broadcast are the same
 * code); the GPU check in the README runs it on a GPU. The optimizer gets a large epsilon so a step is nearly
 * linear in the gradient: then float rounding in the split cannot flip an element's step as Adam's first
 * (sign-like) step would.
 */
class DataParallelTest {
    private static final ModelConfig MLP = ModelConfig.mlp(64, 64);
    private static final ModelConfig TRANSFORMER = ModelConfig.transformer(16, 2, 1, 32, 6, 2);

    private static Adam linearAdam(PolicyModel m) {
        return new Adam(m.parameters(), m.manager(), 0.9f, 0.999f, 1f);
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static RolloutBatch rollout(EnvSpec spec, int n, long seed) {
        ObservationBatch obs = RandomObservations.batch(spec, n, seed);
        SplittableRandom r = new SplittableRandom(seed);
        int actions = ((Discrete) spec.actionSpace()).n();
        int[] act = new int[n];
        float[] lp = new float[n];
        float[] v = new float[n];
        float[] adv = new float[n];
        float[] ret = new float[n];
        for (int i = 0; i < n; i++) {
            act[i] = r.nextInt(actions);
            lp[i] = (float) Math.log(1.0 / actions);
            v[i] = (float) r.nextGaussian() * 0.1f;
            adv[i] = (float) r.nextGaussian();
            ret[i] = (float) r.nextGaussian();
        }
        return new RolloutBatch(obs, act, lp, v, adv, ret);
    }

    private void ppoSplitEqualsWhole(EnvSpec spec, ModelConfig config, int replicas) {
        PpoConfig c = PpoConfig.cleanRl();
        RolloutBatch batch = rollout(spec, 2 * c.numMinibatches() * 5, 3); // minibatches of 10 rows: uneven shards of 3
        try (PolicyModel single = PolicyModel.create(spec, config, 1, Device.cpu());
             Adam singleAdam = linearAdam(single);
             ModelReplicas parallel = ModelReplicas.create(spec, config, 1,
                     Collections.nCopies(replicas, Device.cpu()));
             Adam parallelAdam = linearAdam(parallel.primary())) {
            float[] start = single.flatParameters();
            assertArrayEquals(start, parallel.primary().flatParameters());
            PpoStats a = PpoUpdate.update(single, singleAdam, batch, c, 0.05, new SplittableRandom(7));
            PpoStats b = PpoUpdate.update(parallel, parallelAdam, batch, c, 0.05, new SplittableRandom(7));
            float[] whole = single.flatParameters();
            float[] split = parallel.primary().flatParameters();
            double moved = maxAbsDiff(start, whole);
            assertTrue(moved > 1e-3, "the update moved the weights (by " + moved + ")");
            double diff = maxAbsDiff(whole, split);
            assertTrue(diff < 2e-5, "split over " + replicas + " replicas vs whole: max weight difference " + diff
                    + " (the update moved them by " + moved + ")");
            assertEquals(a.policyLoss(), b.policyLoss(), 1e-4);
            assertEquals(a.valueLoss(), b.valueLoss(), 1e-4);
            assertEquals(a.entropy(), b.entropy(), 1e-4);
            assertEquals(a.clipFraction(), b.clipFraction(), 1e-6);
            for (int r = 1; r < replicas; r++) {
                assertArrayEquals(split, parallel.replica(r).flatParameters(), "replica " + r + " holds the primary's weights");
            }
        }
    }

    @Test
    void ppoOnTwoReplicasStepsLikeOneDeviceMlp() {
        ppoSplitEqualsWhole(ModelTest.CARTPOLE, MLP, 2);
    }

    @Test
    void ppoOnThreeReplicasStepsLikeOneDeviceMultimodalTransformer() {
        ppoSplitEqualsWhole(ModelTest.GRID, TRANSFORMER, 3);
    }

    @Test
    void impalaOnTwoReplicasStepsLikeOneDevice() {
        EnvSpec spec = ModelTest.CARTPOLE;
        int t = 5;
        List<Unroll> unrolls = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(5);
        for (int u = 0; u < 5; u++) { // 5 unrolls over 2 replicas: shards of 2 and 3
            int[] act = new int[t];
            float[] rew = new float[t];
            float[] lp = new float[t];
            boolean[] term = new boolean[t];
            for (int s = 0; s < t; s++) {
                act[s] = r.nextInt(2);
                rew[s] = (float) r.nextGaussian();
                lp[s] = (float) Math.log(0.3 + 0.4 * r.nextDouble());
            }
            term[t - 1] = u % 2 == 0;
            unrolls.add(new Unroll("p", u, RandomObservations.batch(spec, t + 1, 10 + u), act, new float[0], rew, term,
                    new boolean[t], new float[0], lp, new float[0], 0, 0));
        }
        ImpalaConfig c = new ImpalaConfig(0.05, 0.99, 1.0, 1.0, 1.0, 1.0, 0.01, 0.5, 40.0, 5);
        try (PolicyModel single = PolicyModel.create(spec, MLP, 1, Device.cpu());
             Adam singleAdam = linearAdam(single);
             ModelReplicas parallel = ModelReplicas.create(spec, MLP, 1, List.of(Device.cpu(), Device.cpu()));
             Adam parallelAdam = linearAdam(parallel.primary())) {
            float[] start = single.flatParameters();
            ImpalaUpdate.Stats a = ImpalaUpdate.update(single, singleAdam, unrolls, c, c.learningRate());
            ImpalaUpdate.Stats b = ImpalaUpdate.update(parallel, parallelAdam, unrolls, c, c.learningRate());
            assertTrue(maxAbsDiff(start, single.flatParameters()) > 1e-3, "the update moved the weights");
            double diff = maxAbsDiff(single.flatParameters(), parallel.primary().flatParameters());
            assertTrue(diff < 2e-5, "max weight difference " + diff);
            assertEquals(a.policyLoss(), b.policyLoss(), 1e-4);
            assertEquals(a.valueLoss(), b.valueLoss(), 1e-4);
            assertEquals(a.meanRho(), b.meanRho(), 1e-5);
            assertEquals(a.gradNorm(), b.gradNorm(), 1e-3 * Math.max(1, a.gradNorm()));
            assertArrayEquals(parallel.primary().flatParameters(), parallel.replica(1).flatParameters());
        }
    }

    @Test
    void aPrimaryLoadedFromWeightsIsBroadcastBeforeTheNextUpdate() {
        PpoConfig c = PpoConfig.cleanRl();
        try (ModelReplicas parallel = ModelReplicas.create(ModelTest.CARTPOLE, MLP, 1,
                List.of(Device.cpu(), Device.cpu()));
             PolicyModel other = PolicyModel.create(ModelTest.CARTPOLE, MLP, 99, Device.cpu());
             PolicyModel single = PolicyModel.create(ModelTest.CARTPOLE, MLP, 99, Device.cpu());
             Adam parallelAdam = linearAdam(parallel.primary());
             Adam singleAdam = linearAdam(single)) {
            parallel.primary().load(other.weights(4)); // as a checkpoint restore does
            RolloutBatch batch = rollout(ModelTest.CARTPOLE, 40, 8);
            PpoUpdate.update(parallel, parallelAdam, batch, c, 0.05, new SplittableRandom(1));
            PpoUpdate.update(single, singleAdam, batch, c, 0.05, new SplittableRandom(1));
            double diff = maxAbsDiff(single.flatParameters(), parallel.primary().flatParameters());
            assertTrue(diff < 2e-5, "the replica trained from the loaded weights, not its own (diff " + diff + ")");
        }
    }

    @Test
    void deviceSettingsNameWhatIsWrong() {
        assertEquals(List.of(Device.cpu(), Device.cpu()), Devices.selectAll("cpu, cpu"));
        assertEquals(Device.cpu(), Devices.select("cpu"));
        if (Engine.getInstance().getGpuCount() == 0) {
            assertEquals(List.of(Device.cpu()), Devices.selectAll("auto"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Devices.selectAll("gpu:1"));
            assertTrue(e.getMessage().contains("troupe.learner.device") && e.getMessage().contains("0 GPU"),
                    e.getMessage());
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Devices.selectAll("cpu,tpu"));
        assertTrue(bad.getMessage().contains("'tpu'") && bad.getMessage().contains("gpu:N"), bad.getMessage());
    }
}
