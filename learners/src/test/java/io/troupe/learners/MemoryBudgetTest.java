package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.learners.bench.UpdateThroughput;
import io.troupe.learners.distill.DistillConfig;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.parallel.MemoryBudget;
import io.troupe.learners.parallel.MemoryEstimate;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoStats;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code troupe.learner.device-memory-budget}: the estimator's arithmetic against built models, the refusal with the
 * numbers, and a model of over 100M parameters that a per-device budget refuses whole and that runs split in four.
 */
class MemoryBudgetTest {
    private static final long MIB = 1024 * 1024;

    private static void countsMatch(EnvSpec spec, ModelConfig config, List<Device> stages) {
        List<MemoryEstimate> est = MemoryBudget.perStage(spec, config, 8);
        assertEquals(stages.size(), est.size());
        try (PolicyModel m = PolicyModel.create(spec, config, 1, stages)) {
            for (int k = 0; k < stages.size(); k++) {
                long held = m.stageParameters(k).stream().mapToLong(p -> p.getValue().getArray().size()).sum();
                assertEquals(held * 4, est.get(k).parameters(), config.describe() + " stage " + k + ": parameter bytes");
            }
            assertEquals(m.parameterCount(), MemoryBudget.parameterCount(spec, config, 8));
        }
    }

    @Test
    void parameterCountsAreThoseOfTheBuiltModels() {
        countsMatch(ModelTest.CARTPOLE, ModelConfig.mlp(64, 64), List.of(Device.cpu()));
        countsMatch(ModelTest.CARTPOLE, ModelConfig.transformer(32, 4, 2, 64, 6, 3), List.of(Device.cpu()));
        countsMatch(ModelTest.GRID, ModelConfig.transformer(16, 2, 3, 32, 6, 2).withParallelism(new Parallelism(3, 2)),
                Collections.nCopies(3, Device.cpu()));
        // heads pruned from 4 to 3 keep their size (8): the attention's width (24) is no longer the embedding's
        countsMatch(ModelTest.CARTPOLE, ModelConfig.transformer(32, 4, 2, 64, 6, 3).withHeads(3),
                List.of(Device.cpu()));
    }

    @Test
    void componentsScaleAsTheyShould() {
        ModelConfig whole = ModelConfig.transformer(64, 4, 4, 128, 6, 2);
        MemoryEstimate one = MemoryBudget.perStage(ModelTest.GRID, whole, 64).get(0);
        assertEquals(one.parameters(), one.gradients(), "a gradient per parameter");
        assertEquals(2 * one.parameters(), one.optimizerState(), "Adam's two moments");
        MemoryEstimate twice = MemoryBudget.perStage(ModelTest.GRID, whole, 128).get(0);
        assertEquals(one.parameters(), twice.parameters());
        assertTrue(twice.activations() > 1.9 * one.activations(), "activations grow with the rows");
        List<MemoryEstimate> four = MemoryBudget.perStage(ModelTest.GRID,
                whole.withParallelism(new Parallelism(4, 4)), 64);
        for (MemoryEstimate s : four) {
            assertTrue(s.total() < one.total() / 2, "a quarter of the blocks needs well under half: " + s.describe());
        }
        assertEquals(one.parameters(), four.stream().mapToLong(MemoryEstimate::parameters).sum());
        // one device listed with four stages holds all four
        assertEquals(one.parameters(), MemoryBudget.perDevice(ModelTest.GRID,
                whole.withParallelism(new Parallelism(4, 4)), 64, List.of(Device.cpu())).get(0).parameters());
    }

    /**
     * The rows the budget is estimated for are the ones a job's learner trains in one pass: until the seventeenth
     * session they were troupe.ppo's num-envs * num-steps / num-minibatches whatever the job trained.
     */
    @Test
    void theBudgetIsForTheRowsOfOneTrainingPassOfTheJob() {
        ModelConfig mlp = ModelConfig.mlp(64, 64);
        PpoConfig ppo = PpoConfig.cleanRl(); // 4 envs x 128 steps / 4 minibatches = 128 rows
        BiFunction<LearnerAlgorithm, Integer, Learner.Spec> spec = (algorithm, t) ->
                new Learner.Spec(ModelTest.CARTPOLE, mlp, ppo, ImpalaConfig.defaults(),
                        LearnerSettings.fromConfig(ConfigFactory.defaultReference().getConfig("troupe.learner"),
                                algorithm, 16), 1, DistillConfig.defaults(), t);
        assertEquals(ppo.minibatchSize(), Learner.budgetRows(spec.apply(LearnerAlgorithm.IMPALA, 0), 1),
                "an unknown unroll length: troupe.ppo's minibatch");
        assertEquals(16 * 64 / ppo.numMinibatches(), Learner.budgetRows(spec.apply(LearnerAlgorithm.PPO, 64), 1));
        assertEquals(16 * 64 / DistillConfig.defaults().numMinibatches(),
                Learner.budgetRows(spec.apply(LearnerAlgorithm.DISTILL, 64), 1));
        assertEquals(16 * 65, Learner.budgetRows(spec.apply(LearnerAlgorithm.IMPALA, 64), 1),
                "IMPALA: every observation of the batch, the bootstrap one included, in one pass");
        // data-parallel replicas split PPO's minibatch and IMPALA's batch; distillation trains on the primary alone
        assertEquals(16 * 64 / ppo.numMinibatches() / 2, Learner.budgetRows(spec.apply(LearnerAlgorithm.PPO, 64), 2));
        assertEquals(16 * 65 / 3 + 1, Learner.budgetRows(spec.apply(LearnerAlgorithm.IMPALA, 64), 3));
        assertEquals(16 * 64 / DistillConfig.defaults().numMinibatches(),
                Learner.budgetRows(spec.apply(LearnerAlgorithm.DISTILL, 64), 2));
        assertThrows(IllegalArgumentException.class, () -> spec.apply(LearnerAlgorithm.PPO, -1));
    }

    /** GPipe's micro-batches are PPO's: IMPALA and distillation run each pass through the stages whole. */
    @Test
    void onlyPposBudgetCountsMicroBatches() {
        ModelConfig split = ModelConfig.transformer(32, 4, 2, 64, 6, 2).withParallelism(new Parallelism(2, 4));
        Function<LearnerAlgorithm, Learner.Spec> spec = algorithm -> new Learner.Spec(
                ModelTest.CARTPOLE, split, PpoConfig.cleanRl(), ImpalaConfig.defaults(),
                LearnerSettings.fromConfig(ConfigFactory.defaultReference().getConfig("troupe.learner"), algorithm,
                        16), 1, DistillConfig.defaults(), 32);
        assertEquals(new Parallelism(2, 4), Learner.budgetModel(spec.apply(LearnerAlgorithm.PPO)).parallel());
        assertEquals(new Parallelism(2, 1), Learner.budgetModel(spec.apply(LearnerAlgorithm.IMPALA)).parallel());
        assertEquals(new Parallelism(2, 1), Learner.budgetModel(spec.apply(LearnerAlgorithm.DISTILL)).parallel());
    }

    /**
     * A distillation job holds its teacher on the primary device beside the student: its parameters and one forward
     * pass over the whole batch count against the budget there (until the eighteenth session they were left out).
     */
    @Test
    void theDistillationTeacherCountsOnThePrimaryDevice() {
        ModelConfig student = ModelConfig.mlp(64, 64);
        ModelConfig teacher = ModelConfig.transformer(256, 4, 4, 1024, 6, 1);
        DistillConfig distill = DistillConfig.defaults().withTeacher(Path.of("teacher"), teacher);
        Function<LearnerAlgorithm, Learner.Spec> spec = algorithm -> new Learner.Spec(ModelTest.CARTPOLE, student,
                PpoConfig.cleanRl(), ImpalaConfig.defaults(), LearnerSettings.fromConfig(
                        ConfigFactory.defaultReference().getConfig("troupe.learner"), algorithm, 16), 1, distill, 64);
        assertEquals(MemoryEstimate.ZERO, Learner.budgetTeacher(spec.apply(LearnerAlgorithm.PPO)),
                "only a distillation job has a teacher");
        MemoryEstimate held = Learner.budgetTeacher(spec.apply(LearnerAlgorithm.DISTILL));
        MemoryEstimate trained = MemoryBudget.perStage(ModelTest.CARTPOLE, teacher, 16 * 64).get(0);
        assertEquals(trained.parameters(), held.parameters(), "the teacher's weights");
        assertEquals(trained.activations(), held.activations(), "a forward pass over the batch of 16 x 64 rows");
        assertEquals(0, held.gradients() + held.optimizerState(), "it is not trained");
        // a budget the student fits in and the student with the teacher does not
        int rows = Learner.budgetRows(spec.apply(LearnerAlgorithm.DISTILL), 1);
        long studentNeeds = MemoryBudget.perStage(ModelTest.CARTPOLE, student, rows).get(0).total();
        long budget = studentNeeds + held.total() / 2;
        MemoryBudget.check(ModelTest.CARTPOLE, student, rows, List.of(Device.cpu()), budget);
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> MemoryBudget.check(
                ModelTest.CARTPOLE, student, rows, List.of(Device.cpu()), budget, held));
        assertTrue(refused.getMessage().contains("with the distillation teacher's "
                + MemoryEstimate.bytes(held.total())), refused.getMessage());
    }

    @Test
    void theBudgetSettingReadsSizesAndNamesTheKey() {
        assertEquals(0, LearnerSettings.parseMemoryBudget(ConfigFactory.defaultReference().getConfig("troupe.learner")));
        assertEquals(512 * MIB, LearnerSettings.parseMemoryBudget(
                ConfigFactory.parseString("device-memory-budget = 512MiB")));
        assertEquals(2048, LearnerSettings.parseMemoryBudget(ConfigFactory.parseString("device-memory-budget = 2048")));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> LearnerSettings.parseMemoryBudget(ConfigFactory.parseString("device-memory-budget = lots")));
        assertTrue(bad.getMessage().contains("troupe.learner.device-memory-budget") && bad.getMessage().contains("lots"),
                bad.getMessage());
        assertEquals(64 * MIB, LearnerSettings.fromConfig(ConfigFactory.parseString(
                "device-memory-budget = 64MiB").withFallback(ConfigFactory.defaultReference()
                .getConfig("troupe.learner")), LearnerAlgorithm.PPO, 16).deviceMemoryBudget());
    }

    /** CartPole's 4 floats through a 1024-wide transformer of 8 blocks: 100.8M parameters, two tokens a row. */
    private static final ModelConfig LARGE = ModelConfig.transformer(1024, 8, 8, 4096, 6, 1);
    private static final long BUDGET = 768 * MIB;

    @Test
    void aModelOver100MParametersIsRefusedWholeAndRunsSplitInFour() {
        EnvSpec spec = ModelTest.CARTPOLE;
        // 4 rows, one minibatch, one epoch: one Adam step an update, as the job's Adam and clipping take them
        PpoConfig ppo = new PpoConfig(1, 4, 2.5e-4, false, 0.99, 0.95, 1, 1, true, 0.2, true, 0.01, 0.5, 0.5, 1000);
        int rows = ppo.minibatchSize();
        long params = MemoryBudget.parameterCount(spec, LARGE, rows);
        assertTrue(params >= 100_000_000L, params + " parameters");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> MemoryBudget.check(spec, LARGE, rows, List.of(Device.cpu()), BUDGET));
        String msg = refused.getMessage();
        MemoryEstimate whole = MemoryBudget.perStage(spec, LARGE, rows).get(0);
        assertTrue(msg.contains("troupe.learner.device-memory-budget = 768.0 MiB")
                        && msg.contains("parameters " + MemoryEstimate.bytes(4 * params))
                        && msg.contains("gradients " + MemoryEstimate.bytes(4 * params))
                        && msg.contains("Adam state " + MemoryEstimate.bytes(8 * params))
                        && msg.contains("activations " + MemoryEstimate.bytes(whole.activations()))
                        && msg.contains("pipeline-stages") && msg.contains(params + " parameters"), msg);
        ModelConfig split = LARGE.withParallelism(new Parallelism(4, 2));
        List<Device> fourDevices = Collections.nCopies(4, Device.cpu()); // four devices' worth, on the CPU
        // two stages on one device still exceed it; four stages of two blocks fit
        assertThrows(IllegalArgumentException.class, () -> MemoryBudget.check(spec, split, rows,
                List.of(Device.cpu()), BUDGET));
        MemoryBudget.check(spec, split, rows, fourDevices, BUDGET);
        for (MemoryEstimate e : MemoryBudget.perDevice(spec, split, rows, fourDevices)) {
            assertTrue(e.total() < BUDGET, e.describe());
        }
        RolloutBatch batch = UpdateThroughput.syntheticRollout(spec, ppo.batchSize(), 1);
        long t0 = System.nanoTime();
        try (ModelReplicas model = ModelReplicas.create(spec, split, 1, fourDevices);
             Adam adam = Adam.withDefaults(model.primary().parameters(), model.primary().manager())) {
            long t1 = System.nanoTime();
            assertEquals(params, model.primary().parameterCount());
            assertEquals(4, model.primary().stages());
            float[] before = model.primary().stageParameters(1).get(0).getValue().getArray().toFloatArray();
            for (int u = 0; u < 2; u++) {
                PpoStats s = PpoUpdate.update(model, adam, batch, ppo, ppo.learningRate(), new SplittableRandom(u));
                assertEquals(0, s.skippedMinibatches(), "update " + u + " took its steps");
                assertTrue(Double.isFinite(s.policyLoss()) && Double.isFinite(s.gradNorm()), "finite losses");
            }
            assertEquals(2, adam.steps());
            System.out.printf("100M-parameter model: built in %.1f s, 2 updates in %.1f s%n", (t1 - t0) / 1e9,
                    (System.nanoTime() - t1) / 1e9);
            float[] after = model.primary().stageParameters(1).get(0).getValue().getArray().toFloatArray();
            double moved = 0;
            for (int i = 0; i < after.length; i++) {
                moved = Math.max(moved, Math.abs(after[i] - before[i]));
            }
            assertTrue(moved > 0, "a middle stage's weights moved");
        }
    }
}
