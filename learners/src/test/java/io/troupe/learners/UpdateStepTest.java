package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.troupe.core.EnvSpec;
import io.troupe.core.experience.Unroll;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.impala.ImpalaLearner;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.Gae;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoLearner;
import io.troupe.learners.ppo.PpoStats;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Each algorithm's {@link UpdateStep}: PPO builds its GAE batch from unrolls; IMPALA skips a batch with a NaN or
 * infinite reward, behaviour log-probability or network logit (no parameter changes, the skip is reported); and on
 * data-parallel replicas one bad replica poisons neither the primary nor the others.
 */
class UpdateStepTest {
    private static final EnvSpec SPEC = ModelTest.CARTPOLE;
    private static final ModelConfig MLP = ModelConfig.mlp(64, 64);
    private static final ImpalaConfig IMPALA = new ImpalaConfig(0.05, 0.99, 1.0, 1.0, 1.0, 1.0, 0.01, 0.5, 40.0, 4);
    private static final int T = 5;

    private static List<Unroll> unrolls(int count, long seed, boolean truncationValues) {
        List<Unroll> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed);
        for (int u = 0; u < count; u++) {
            int[] act = new int[T];
            float[] rew = new float[T];
            float[] lp = new float[T];
            float[] v = new float[T];
            float[] tv = new float[T];
            boolean[] term = new boolean[T];
            boolean[] trunc = new boolean[T];
            for (int s = 0; s < T; s++) {
                act[s] = r.nextInt(2);
                rew[s] = (float) r.nextGaussian();
                lp[s] = (float) Math.log(0.3 + 0.4 * r.nextDouble());
                v[s] = (float) r.nextGaussian();
            }
            term[1] = u % 2 == 0;
            trunc[3] = true;
            tv[3] = 2.5f;
            out.add(new Unroll("p", u, RandomObservations.batch(SPEC, T + 1, seed * 100 + u), act, new float[0], rew,
                    term, trunc, new float[0], lp, v, 0, 0, truncationValues ? tv : new float[0]));
        }
        return out;
    }

    /** The unroll with its rewards changed by {@code edit} (on a copy: the original is left alone). */
    private static Unroll withRewards(Unroll u, UnaryOperator<float[]> edit) {
        return new Unroll(u.producerId(), u.sequence(), u.observations(), u.discreteActions(), u.continuousActions(),
                edit.apply(u.rewards().clone()), u.terminated(), u.truncated(), u.behaviourLogits(),
                u.behaviourLogProbs(), u.values(), u.policyVersion(), u.rewardVersion(), u.truncationValues());
    }

    private static Unroll withLogProbs(Unroll u, UnaryOperator<float[]> edit) {
        return new Unroll(u.producerId(), u.sequence(), u.observations(), u.discreteActions(), u.continuousActions(),
                u.rewards(), u.terminated(), u.truncated(), u.behaviourLogits(),
                edit.apply(u.behaviourLogProbs().clone()), u.values(), u.policyVersion(), u.rewardVersion(),
                u.truncationValues());
    }

    /** The unroll whose observation at {@code row} is +infinity: the network's logits and value there go bad. */
    private static Unroll withInfiniteObservation(Unroll u, int row) {
        var obs = RandomObservations.batch(SPEC, T + 1, 0);
        for (int s = 0; s <= T; s++) {
            u.observations().copyRow(s, obs, s);
        }
        obs.floats(0)[row * 4] = Float.POSITIVE_INFINITY;
        return new Unroll(u.producerId(), u.sequence(), obs, u.discreteActions(), u.continuousActions(), u.rewards(),
                u.terminated(), u.truncated(), u.behaviourLogits(), u.behaviourLogProbs(), u.values(),
                u.policyVersion(), u.rewardVersion(), u.truncationValues());
    }

    private static UnaryOperator<float[]> set(int i, float value) {
        return a -> {
            a[i] = value;
            return a;
        };
    }

    @Test
    void ratioStatisticsInJavaAreCleanRlsTensorFormulas() {
        SplittableRandom rng = new SplittableRandom(4);
        float[] logRatio = new float[128];
        for (int i = 0; i < logRatio.length; i++) {
            logRatio[i] = (float) (rng.nextGaussian() * 0.15);
        }
        float clip = 0.2f;
        PpoUpdate.RatioStats java = PpoUpdate.RatioStats.of(logRatio, clip);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray lr = m.create(logRatio);
            NDArray ratio = lr.exp();
            assertEquals(lr.neg().mean().getFloat(), java.oldApproxKl(), 1e-6);
            assertEquals(ratio.sub(1).sub(lr).mean().getFloat(), java.approxKl(), 1e-6);
            float clipFraction = ratio.sub(1).abs().gt(clip).toType(DataType.FLOAT32, false).mean().getFloat();
            assertEquals(clipFraction, java.clipFraction(), 1e-6);
            assertTrue(clipFraction > 0.05 && clipFraction < 0.95, "some ratios clipped, not all: " + clipFraction);
            assertTrue(java.approxKl() > 0, "approx kl is positive for unequal policies: " + java.approxKl());
        }
    }

    @Test
    void ppoBuildsItsRolloutWithGaePerUnroll() {
        for (boolean withTruncationValues : new boolean[] {true, false}) {
            List<Unroll> us = unrolls(3, 4, withTruncationValues);
            float[] bootstrap = {0.5f, -1f, 2f};
            RolloutBatch b = PpoLearner.rollout(SPEC.observationSpace(), us, bootstrap, 0.9, 0.8);
            assertEquals(3 * T, b.size());
            for (int u = 0; u < 3; u++) {
                Unroll un = us.get(u);
                float[] adv = new float[T];
                float[] ret = new float[T];
                boolean[] ended = new boolean[T];
                for (int s = 0; s < T; s++) {
                    ended[s] = un.terminated()[s] || un.truncated()[s];
                }
                if (withTruncationValues) { // a time limit bootstraps from the truncation value
                    Gae.compute(un.rewards(), un.values(), un.terminated(), un.truncated(), un.truncationValues(),
                            new float[] {bootstrap[u]}, 1, 0.9, 0.8, adv, ret);
                } else { // a time limit ends the chain like a termination (CleanRL)
                    Gae.compute(un.rewards(), un.values(), ended, new boolean[T], new float[T],
                            new float[] {bootstrap[u]}, 1, 0.9, 0.8, adv, ret);
                }
                for (int s = 0; s < T; s++) {
                    int row = u * T + s;
                    assertEquals(adv[s], b.advantages()[row], 1e-6, "advantage of unroll " + u + " step " + s);
                    assertEquals(ret[s], b.returns()[row], 1e-6);
                    assertEquals(un.discreteActions()[s], b.actions()[row]);
                    assertEquals(un.behaviourLogProbs()[s], b.logProbs()[row]);
                    assertEquals(un.observations().read(s), b.observations().read(row));
                }
            }
            // the truncation at step 3 bootstraps: 0 + 0.9 * 2.5 - V, not 0 - V
            Unroll first = us.get(0);
            double expected = first.rewards()[3] + (withTruncationValues ? 0.9 * 2.5 : 0) - first.values()[3];
            assertEquals(expected, b.advantages()[3], 1e-5);
        }
    }

    @Test
    void impalaSkipsNonFiniteRewardsAndLogitsAndKeepsTheWeights() {
        List<Unroll> clean = unrolls(4, 1, false);
        List<List<Unroll>> poisoned = List.of(
                replace(clean, 2, withRewards(clean.get(2), set(1, Float.NaN))),
                replace(clean, 0, withRewards(clean.get(0), set(4, Float.POSITIVE_INFINITY))),
                replace(clean, 3, withRewards(clean.get(3), set(0, Float.NEGATIVE_INFINITY))),
                replace(clean, 1, withLogProbs(clean.get(1), set(2, Float.NaN))),
                // an impossible behaviour action: V-trace's clipping alone would train on it as if it were fine
                replace(clean, 1, withLogProbs(clean.get(1), set(2, Float.NEGATIVE_INFINITY))),
                // the network's logits and value go non-finite on this observation
                replace(clean, 3, withInfiniteObservation(clean.get(3), 2)));
        try (ModelReplicas replicas = ModelReplicas.create(SPEC, MLP, 1, List.of(Device.cpu()));
             Adam adam = Adam.withDefaults(replicas.primary().parameters(), replicas.primary().manager())) {
            ImpalaLearner step = new ImpalaLearner(replicas, adam, IMPALA);
            float[] start = replicas.primary().flatParameters();
            for (int i = 0; i < poisoned.size(); i++) {
                UpdateStep.Result r = step.update(poisoned.get(i), 0);
                assertTrue(r.skipped(), "batch " + i + " is skipped");
                assertArrayEquals(start, replicas.primary().flatParameters(), "batch " + i + " changed no weight");
                assertEquals(0, adam.steps(), "batch " + i + " took no optimizer step");
            }
            UpdateStep.Result ok = step.update(clean, 0);
            assertFalse(ok.skipped());
            assertTrue(Double.isFinite(ok.policyLoss()) && Double.isFinite(ok.valueLoss()), ok.toString());
            assertFalse(Arrays.equals(start, replicas.primary().flatParameters()), "a clean batch trains");
        }
    }

    @Test
    void bothAlgorithmsReportTheEntropyAndTheApproximateKlOfTheirBatch() {
        List<Unroll> clean = unrolls(4, 3, true);
        try (ModelReplicas replicas = ModelReplicas.create(SPEC, MLP, 1, List.of(Device.cpu()));
             Adam adam = Adam.withDefaults(replicas.primary().parameters(), replicas.primary().manager())) {
            // what IMPALA must report, from the network before its step: the mean entropy of the T observation rows,
            // and the mean of (rho - 1) - log rho with rho = pi(a) / mu(a)
            double entropy = 0;
            double kl = 0;
            for (Unroll u : clean) {
                float[] logits = replicas.primary().infer(u.observations()).logits();
                for (int s = 0; s < T; s++) {
                    double m = Math.max(logits[2 * s], logits[2 * s + 1]);
                    double z = Math.log(Math.exp(logits[2 * s] - m) + Math.exp(logits[2 * s + 1] - m)) + m;
                    double[] logp = {logits[2 * s] - z, logits[2 * s + 1] - z};
                    entropy -= Math.exp(logp[0]) * logp[0] + Math.exp(logp[1]) * logp[1];
                    double logRho = logp[u.discreteActions()[s]] - u.behaviourLogProbs()[s];
                    kl += Math.exp(logRho) - 1 - logRho;
                }
            }
            int steps = clean.size() * T;
            UpdateStep.Result impala = new ImpalaLearner(replicas, adam, IMPALA).update(clean, 0);
            assertFalse(impala.skipped());
            assertEquals(entropy / steps, impala.entropy(), 1e-4, "IMPALA's entropy");
            assertEquals(kl / steps, impala.approxKl(), 1e-4, "IMPALA's KL between behaviour and target policy");
            assertTrue(kl / steps > 1e-3, "the behaviour log-probabilities differ from the network's: " + kl / steps);
        }
        try (ModelReplicas replicas = ModelReplicas.create(SPEC, MLP, 1, List.of(Device.cpu()));
             Adam adam = Adam.withDefaults(replicas.primary().parameters(), replicas.primary().manager())) {
            PpoConfig c = new PpoConfig(4, 5, 1e-3, false, 0.99, 0.95, 2, 2, true, 0.2, true, 0.01, 0.5, 0.5, 1000);
            UpdateStep.Result ppo = new PpoLearner(replicas, adam, c, new SplittableRandom(1)).update(clean, 0);
            assertFalse(ppo.skipped());
            assertTrue(ppo.entropy() > 0 && ppo.entropy() <= Math.log(2) + 1e-6, "PPO's entropy: " + ppo);
            assertTrue(ppo.approxKl() > 0 && Double.isFinite(ppo.approxKl()), "PPO's approx KL: " + ppo);
        }
        assertTrue(Double.isNaN(UpdateStep.Result.SKIPPED.entropy()) && Double.isNaN(UpdateStep.Result.SKIPPED
                .approxKl()), "a skipped update reports neither");
    }

    @Test
    void ppoSkipsABatchWithNonFiniteInput() {
        List<Unroll> clean = unrolls(4, 2, true);
        try (ModelReplicas replicas = ModelReplicas.create(SPEC, MLP, 1, List.of(Device.cpu()));
             Adam adam = Adam.withDefaults(replicas.primary().parameters(), replicas.primary().manager())) {
            PpoConfig c = new PpoConfig(4, 5, 1e-3, false, 0.99, 0.95, 2, 2, true, 0.2, true, 0.01, 0.5, 0.5, 1000);
            PpoLearner step = new PpoLearner(replicas, adam, c, new SplittableRandom(1));
            float[] start = replicas.primary().flatParameters();
            assertTrue(step.update(replace(clean, 1, withLogProbs(clean.get(1), set(0, Float.NEGATIVE_INFINITY))),
                    0).skipped());
            assertTrue(step.update(replace(clean, 2, withRewards(clean.get(2), set(3, Float.NaN))), 0).skipped());
            assertArrayEquals(start, replicas.primary().flatParameters());
            assertFalse(step.update(clean, 0).skipped());
            assertFalse(Arrays.equals(start, replicas.primary().flatParameters()));
        }
    }

    @Test
    void ppoStopsAnUpdatesEpochsOnceTheApproximateKlPassesTheTarget() {
        List<Unroll> clean = unrolls(4, 2, true);
        for (double targetKl : new double[] {0, 1e-9}) {
            try (ModelReplicas replicas = ModelReplicas.create(SPEC, MLP, 1, List.of(Device.cpu()));
                 Adam adam = Adam.withDefaults(replicas.primary().parameters(), replicas.primary().manager())) {
                PpoConfig c = new PpoConfig(4, 5, 1e-3, false, 0.99, 0.95, 2, 3, true, 0.2, true, 0.01, 0.5, 0.5, 1000,
                        targetKl);
                assertFalse(new PpoLearner(replicas, adam, c, new SplittableRandom(1)).update(clean, 0).skipped());
                // 3 epochs x 2 minibatches; with a tiny target only the first epoch runs (the KL is checked before each)
                assertEquals(targetKl == 0 ? 6 : 2, adam.steps(), "target-kl " + targetKl);
            }
        }
    }

    @Test
    void oneBadReplicaPoisonsNeitherThePrimaryNorTheOthers() {
        List<Unroll> clean = unrolls(4, 3, false);
        // unrolls 2 and 3 go to replica 1 (shards of 2 and 2): its forward pass is not finite
        List<Unroll> bad = replace(clean, 3, withInfiniteObservation(clean.get(3), 1));
        try (ModelReplicas parallel = ModelReplicas.create(SPEC, MLP, 1, List.of(Device.cpu(), Device.cpu()));
             Adam parallelAdam = new Adam(parallel.primary().parameters(), parallel.primary().manager(), 0.9f, 0.999f,
                     1f);
             PolicyModel single = PolicyModel.create(SPEC, MLP, 1, Device.cpu());
             Adam singleAdam = new Adam(single.parameters(), single.manager(), 0.9f, 0.999f, 1f)) {
            ImpalaLearner step = new ImpalaLearner(parallel, parallelAdam, IMPALA);
            float[] start = parallel.primary().flatParameters();
            assertTrue(step.update(bad, 0).skipped());
            assertArrayEquals(start, parallel.primary().flatParameters(), "the primary kept its weights");
            assertArrayEquals(start, parallel.replica(1).flatParameters(), "the other replica kept them too");
            assertEquals(0, parallelAdam.steps());

            // the bad replica's leftover gradients do not leak into the next update: it equals a single device's
            assertFalse(step.update(clean, 0).skipped());
            new ImpalaLearner(ModelReplicas.single(single), singleAdam, IMPALA).update(clean, 0);
            float[] expected = single.flatParameters();
            assertTrue(maxAbsDiff(expected, parallel.primary().flatParameters()) < 2e-5);
            assertArrayEquals(parallel.primary().flatParameters(), parallel.replica(1).flatParameters());

            // a replica whose own weights went bad is overwritten by the primary's before it trains again
            float[] nan = new float[(int) parallel.replica(1).parameterCount()];
            Arrays.fill(nan, Float.NaN);
            writeFlat(parallel.replica(1), nan);
            assertFalse(step.update(clean, 0).skipped());
            new ImpalaLearner(ModelReplicas.single(single), singleAdam, IMPALA).update(clean, 0);
            assertTrue(maxAbsDiff(single.flatParameters(), parallel.primary().flatParameters()) < 2e-5);
            for (float f : parallel.replica(1).flatParameters()) {
                assertTrue(Float.isFinite(f));
            }
        }
    }

    @Test
    void ppoMinibatchesOfABadReplicaAreSkippedAndTheOthersTrain() {
        PpoConfig c = new PpoConfig(4, 5, 1e-3, false, 0.99, 0.95, 2, 3, true, 0.2, true, 0.01, 0.5, 0.5, 1000);
        RolloutBatch batch = PpoLearner.rollout(SPEC.observationSpace(), unrolls(4, 5, true), new float[4], 0.99,
                0.95);
        batch.observations().floats(0)[7 * 4] = Float.POSITIVE_INFINITY; // row 7: one minibatch per epoch holds it
        try (ModelReplicas parallel = ModelReplicas.create(SPEC, MLP, 1, List.of(Device.cpu(), Device.cpu()));
             Adam adam = Adam.withDefaults(parallel.primary().parameters(), parallel.primary().manager())) {
            float[] start = parallel.primary().flatParameters();
            PpoStats s = PpoUpdate.update(parallel, adam, batch, c, 1e-3, new SplittableRandom(3));
            assertEquals(c.updateEpochs() * c.numMinibatches(), s.minibatches());
            assertEquals(c.updateEpochs(), s.skippedMinibatches(), "the minibatch holding the bad row, each epoch");
            assertEquals(s.minibatches() - s.skippedMinibatches(), adam.steps(), "the others stepped");
            float[] after = parallel.primary().flatParameters();
            assertFalse(Arrays.equals(start, after));
            for (float f : after) {
                assertTrue(Float.isFinite(f), "no weight went bad");
            }
            assertArrayEquals(after, parallel.replica(1).flatParameters(), "the replicas agree");
        }
    }

    private static List<Unroll> replace(List<Unroll> unrolls, int index, Unroll with) {
        List<Unroll> out = new ArrayList<>(unrolls);
        out.set(index, with);
        return out;
    }

    private static void writeFlat(PolicyModel m, float[] values) {
        int o = 0;
        for (var p : m.parameters()) {
            var a = p.getValue().getArray();
            float[] part = Arrays.copyOfRange(values, o, o + (int) a.size());
            InPlace.copy(a, part);
            o += part.length;
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
