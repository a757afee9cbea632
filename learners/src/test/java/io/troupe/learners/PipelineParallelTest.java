package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.learners.bench.UpdateThroughput;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.parallel.PipelineSchedule;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoLosses;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Pipeline parallelism: the transformer split into K stages and trained with GPipe's schedule over M micro-batches
 * computes what the unsplit model computes. Stages on the CPU stand in for K devices, as replicas on the CPU stand in
 * for GPUs in {@link DataParallelTest} (the split, the schedule, the activation and gradient transfers are the same
 * code). Unlike that test the optimizer is the job's: Adam with CleanRL's epsilon (1e-5) and PPO's learning rate.
 */
class PipelineParallelTest {
    /** Four blocks: two stages of two, or four of one. */
    private static final ModelConfig DEEP = ModelConfig.transformer(16, 2, 4, 32, 6, 2);
    private static final EnvSpec SPEC = ModelTest.GRID;

    private static ModelConfig split(int stages, int microBatches) {
        return DEEP.withParallelism(new Parallelism(stages, microBatches));
    }

    /** The largest absolute difference between two arrays of the same length (PolicyStageTest uses it too). */
    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static RolloutBatch rollout(int n, long seed) {
        return UpdateThroughput.syntheticRollout(SPEC, n, seed);
    }

    @Test
    void theSplitModelAnswersAsTheUnsplitOne() {
        ObservationBatch obs = RandomObservations.batch(SPEC, 7, 11);
        try (PolicyModel whole = PolicyModel.create(SPEC, DEEP, 3, Device.cpu());
             PolicyModel two = PolicyModel.create(SPEC, split(2, 1), 3, Collections.nCopies(2, Device.cpu()));
             PolicyModel four = PolicyModel.create(SPEC, split(4, 1), 3, Collections.nCopies(4, Device.cpu()))) {
            PolicyModel.Output w = whole.infer(obs);
            for (PolicyModel m : List.of(two, four)) {
                assertEquals(whole.modelId(), m.modelId(), "a split is not a new architecture");
                assertEquals(0.0, maxAbsDiff(whole.flatParameters(), m.flatParameters()), "same seed, same weights");
                PolicyModel.Output o = m.infer(obs);
                assertTrue(maxAbsDiff(w.logits(), o.logits()) < 1e-5, m.stages() + " stages: logits");
                assertTrue(maxAbsDiff(w.values(), o.values()) < 1e-5, m.stages() + " stages: values");
            }
            two.load(four.weights(1)); // the weights format is the unsplit model's
        }
    }

    @Test
    void eachStageHoldsItsShareOfTheBlocks() {
        try (PolicyModel whole = PolicyModel.create(SPEC, DEEP, 3, Device.cpu());
             PolicyModel four = PolicyModel.create(SPEC, split(4, 1), 3, Collections.nCopies(4, Device.cpu()))) {
            long blockParams = whole.parameters().stream().filter(p -> p.getKey().contains("encoder"))
                    .mapToLong(p -> p.getValue().getArray().size()).sum();
            long total = 0;
            for (int k = 0; k < 4; k++) {
                List<Pair<String, Parameter>> held = four.stageParameters(k);
                long blocks = held.stream().filter(p -> p.getKey().contains("encoder"))
                        .mapToLong(p -> p.getValue().getArray().size()).sum();
                assertEquals(blockParams / 4, blocks, "stage " + k + " holds a quarter of the blocks' parameters");
                for (Pair<String, Parameter> p : held) {
                    assertSame(four.stageManager(k), p.getValue().getArray().getManager(),
                            p.getKey() + " is allocated by stage " + k + "'s manager (on its device)");
                    total += p.getValue().getArray().size();
                }
            }
            assertEquals(whole.parameterCount(), total, "every parameter is in exactly one stage");
            assertTrue(four.stageParameters(0).stream().anyMatch(p -> p.getKey().contains("summary")));
            assertTrue(four.stageParameters(3).stream().anyMatch(p -> p.getKey().contains("policy")));
        }
    }

    /** Every parameter's gradient after one pass of the PPO loss over {@code batch}. */
    private static float[] gradients(PolicyModel model, Adam adam, RolloutBatch b, PpoConfig c, int microBatches) {
        adam.zeroGradients();
        int n = b.size();
        try (NDManager scope = model.manager().newSubManager()) {
            NDList inputs = model.inputs(scope, b.observations(), null);
            Device out = model.outputDevice();
            boolean ran = PipelineSchedule.forwardBackward(model, inputs, n, microBatches, (o, from, to) -> {
                NDArray loss = PpoLosses.compute(o.get(0), o.get(1),
                        scope.create(Arrays.copyOfRange(b.actions(), from, to)).toDevice(out, false),
                        scope.create(Arrays.copyOfRange(b.logProbs(), from, to)).toDevice(out, false),
                        scope.create(Arrays.copyOfRange(b.values(), from, to)).toDevice(out, false),
                        scope.create(Arrays.copyOfRange(b.advantages(), from, to)).toDevice(out, false),
                        scope.create(Arrays.copyOfRange(b.returns(), from, to)).toDevice(out, false), c).loss();
                return loss.mul((to - from) / (float) n);
            });
            assertTrue(ran);
            float[] g = new float[(int) model.parameterCount()];
            int o = 0;
            for (Pair<String, Parameter> p : model.parameters()) {
                float[] a = p.getValue().getArray().getGradient().toFloatArray();
                System.arraycopy(a, 0, g, o, a.length);
                o += a.length;
            }
            return g;
        }
    }

    @Test
    void gradientsOfTheSplitModelEqualTheUnsplitOnes() {
        PpoConfig c = PpoConfig.cleanRl();
        RolloutBatch batch = rollout(10, 5); // 3 micro-batches of 3, 3 and 4 rows
        try (PolicyModel whole = PolicyModel.create(SPEC, DEEP, 3, Device.cpu());
             Adam wholeAdam = Adam.withDefaults(whole.parameters(), whole.manager());
             PolicyModel two = PolicyModel.create(SPEC, split(2, 3), 3, Collections.nCopies(2, Device.cpu()));
             Adam twoAdam = Adam.withDefaults(two.parameters(), two.manager())) {
            float[] a = gradients(whole, wholeAdam, batch, c, 1);
            float[] b = gradients(two, twoAdam, batch, c, 3);
            double norm = 0;
            for (float x : a) {
                norm = Math.max(norm, Math.abs(x));
            }
            assertTrue(norm > 1e-3, "the loss has gradients (largest " + norm + ")");
            double diff = maxAbsDiff(a, b);
            assertTrue(diff < 1e-5, "2 stages x 3 micro-batches vs unsplit: max gradient difference " + diff);
        }
    }

    /**
     * A rollout as an agent running {@code behaviour} records it: its log-probabilities of the (random) actions and its
     * values, so the probability ratios start at 1 as in a job.
     */
    private static RolloutBatch onPolicyRollout(PolicyModel behaviour, int n, long seed) {
        RolloutBatch r = rollout(n, seed);
        PolicyModel.Output o = behaviour.infer(r.observations());
        int actions = behaviour.actions();
        float[] logp = new float[n];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < actions; a++) {
                max = Math.max(max, o.logits()[i * actions + a]);
            }
            double sum = 0;
            for (int a = 0; a < actions; a++) {
                sum += Math.exp(o.logits()[i * actions + a] - max);
            }
            logp[i] = (float) (o.logits()[i * actions + r.actions()[i]] - max - Math.log(sum));
        }
        return new RolloutBatch(r.observations(), r.actions(), logp, o.values(), r.advantages(), r.returns());
    }

    /**
     * PPO updates of the model split as given on {@code devices} against the unsplit model on {@code unsplitDevices}
     * (one device, or as many data-parallel replicas as the split has, so both sum the replicas' gradients alike).
     */
    private void trainsLikeTheUnsplitModel(List<Device> unsplitDevices, List<Device> devices, int stages,
                                           int microBatches) {
        PpoConfig c = PpoConfig.cleanRl(); // learning rate 2.5e-4, max-grad-norm 0.5, 4 epochs x 4 minibatches
        ObservationBatch probe = RandomObservations.batch(SPEC, 5, 17);
        try (ModelReplicas unsplit = ModelReplicas.create(SPEC, DEEP, 1, unsplitDevices);
             Adam singleAdam = Adam.withDefaults(unsplit.primary().parameters(), unsplit.primary().manager());
             ModelReplicas parallel = ModelReplicas.create(SPEC, split(stages, microBatches), 1, devices);
             Adam parallelAdam = Adam.withDefaults(parallel.primary().parameters(), parallel.primary().manager())) {
            PolicyModel single = unsplit.primary();
            RolloutBatch batch = onPolicyRollout(single, 40, 3); // minibatches of 10 rows
            float[] start = single.flatParameters();
            for (int u = 0; u < 2; u++) { // 2 updates: 32 Adam steps
                PpoUpdate.update(unsplit, singleAdam, batch, c, c.learningRate(), new SplittableRandom(u));
                PpoUpdate.update(parallel, parallelAdam, batch, c, c.learningRate(), new SplittableRandom(u));
            }
            assertEquals(32, singleAdam.steps());
            assertEquals(32, parallelAdam.steps());
            float[] whole = single.flatParameters();
            double moved = maxAbsDiff(start, whole);
            assertTrue(moved > 1e-3, "the updates moved the weights (by " + moved + ")");
            double diff = maxAbsDiff(whole, parallel.primary().flatParameters());
            assertTrue(diff < 1e-5, stages + " stages x " + microBatches + " micro-batches on " + devices.size()
                    + " device(s) vs unsplit: max weight difference " + diff + " (moved by " + moved + ")");
            PolicyModel.Output a = single.infer(probe);
            PolicyModel.Output b = parallel.primary().infer(probe);
            double logits = maxAbsDiff(a.logits(), b.logits());
            double values = maxAbsDiff(a.values(), b.values());
            assertTrue(logits < 1e-5 && values < 1e-5, "after training: logits differ by " + logits + ", values by "
                    + values);
            for (int r = 1; r < parallel.size(); r++) {
                assertEquals(0.0, maxAbsDiff(parallel.primary().flatParameters(),
                        parallel.replica(r).flatParameters()), "replica " + r + " holds the primary's weights");
            }
        }
    }

    @Test
    void twoStagesOfFourMicroBatchesTrainLikeOneDevice() {
        trainsLikeTheUnsplitModel(List.of(Device.cpu()), List.of(Device.cpu(), Device.cpu()), 2, 4);
    }

    @Test
    void fourStagesOnOneDeviceTrainLikeOneDevice() {
        trainsLikeTheUnsplitModel(List.of(Device.cpu()), List.of(Device.cpu()), 4, 3);
    }

    /** Data parallelism over pipelines: two replicas of two stages each train as two unsplit replicas do. */
    @Test
    void twoDataParallelReplicasOfTwoStagesTrainLikeTwoUnsplitReplicas() {
        trainsLikeTheUnsplitModel(Collections.nCopies(2, Device.cpu()), Collections.nCopies(4, Device.cpu()), 2, 2);
    }

    @Test
    void theBenchLineMeasuresBothModelsInOneRun() {
        PpoConfig small = new PpoConfig(2, 8, 2.5e-4, false, 0.99, 0.95, 2, 1, true, 0.2, true, 0.01, 0.5, 0.5, 1000);
        UpdateThroughput.PipelineComparison p = UpdateThroughput.comparePipeline(SPEC, DEEP, new Parallelism(2, 4),
                List.of(Device.cpu(), Device.cpu()), small, 0.3);
        assertTrue(p.unsplitUpdatesPerS() > 0 && p.pipelinedUpdatesPerS() > 0, p.toString());
        assertEquals(0.2, p.bubbleFraction(), 1e-9);
        assertEquals(2, p.stages());
        assertEquals(4, p.microBatches());
        assertEquals(Device.cpu() + "," + Device.cpu(), p.devices());
        assertEquals(p.pipelinedUpdatesPerS() / p.unsplitUpdatesPerS(), p.ratio(), 1e-3);
    }

    @Test
    void theLayoutGivesEachReplicaItsStages() {
        Device a = Device.cpu();
        Device g0 = Device.gpu(0);
        Device g1 = Device.gpu(1);
        Device g2 = Device.gpu(2);
        Device g3 = Device.gpu(3);
        assertEquals(List.of(List.of(a, a, a)), ModelReplicas.layout(List.of(a), 3));
        assertEquals(List.of(List.of(g0, g1), List.of(g2, g3)), ModelReplicas.layout(List.of(g0, g1, g2, g3), 2));
        assertEquals(List.of(List.of(g0), List.of(g1)), ModelReplicas.layout(List.of(g0, g1), 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelReplicas.layout(List.of(g0, g1, g2), 2));
        assertTrue(e.getMessage().contains("troupe.learner.device") && e.getMessage().contains("pipeline-stages = 2"),
                e.getMessage());
    }

    @Test
    void settingsAreValidatedNamingTheKey() {
        Parallelism p = ModelConfig.fromConfig(ConfigFactory.parseString(
                "layers = 4, parallel { pipeline-stages = 2, micro-batches = 6 }")
                .withFallback(ConfigFactory.defaultReference().getConfig("troupe.model"))).parallel();
        assertEquals(new Parallelism(2, 6), p);
        assertEquals(1.0 / 7, p.bubbleFraction(), 1e-12);
        assertEquals(Parallelism.NONE, ModelConfig.fromConfig(ConfigFactory.defaultReference()
                .getConfig("troupe.model")).parallel());
        assertEquals(0.0, Parallelism.NONE.bubbleFraction());
        assertEquals(3.0 / 7, new Parallelism(4, 4).bubbleFraction(), 1e-12);
        IllegalArgumentException stages = assertThrows(IllegalArgumentException.class, () -> new Parallelism(0, 1));
        assertTrue(stages.getMessage().contains("troupe.model.parallel.pipeline-stages"), stages.getMessage());
        IllegalArgumentException micro = assertThrows(IllegalArgumentException.class, () -> new Parallelism(1, 0));
        assertTrue(micro.getMessage().contains("troupe.model.parallel.micro-batches"), micro.getMessage());
        IllegalArgumentException deep = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.transformer(16, 2, 2, 32, 6, 2).withParallelism(new Parallelism(3, 1)));
        assertTrue(deep.getMessage().contains("pipeline-stages = 3") && deep.getMessage().contains("layers = 2"),
                deep.getMessage());
        IllegalArgumentException mlp = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.mlp(64, 64).withParallelism(new Parallelism(2, 1)));
        assertTrue(mlp.getMessage().contains("kind = mlp"), mlp.getMessage());
    }
}
