package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Text;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelKind;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.model.Readout;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoLosses;
import io.troupe.learners.ppo.PpoStats;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelTest {
    static final EnvSpec CARTPOLE = EnvSpec.of("CartPole-v1", Box.uniform(-5, 5, DType.FLOAT32, 4), new Discrete(2));
    static final EnvSpec GRID = EnvSpec.of("GoToObject-v0", Dict.of("image", Box.image(3, 30, 30),
            "mission", Text.of(5, List.of("go", "to", "the", "red", "blue", "ball", "box")),
            "state", Box.uniform(0, 1, DType.FLOAT32, 5)), new Discrete(4));
    static final ModelConfig SMALL_TRANSFORMER = ModelConfig.transformer(16, 2, 1, 32, 6, 2);

    @TempDir
    Path dir;

    private static ObservationBatch randomObs(EnvSpec spec, int rows, long seed) {
        return RandomObservations.batch(spec, rows, seed);
    }

    @Test
    void modelKindsAreAnEnumReadInAnyCaseAndAnUnknownOneNamesTheKey() {
        Config base = ConfigFactory.defaultReference().getConfig("troupe.model");
        assertEquals(ModelKind.MLP, ModelConfig.fromConfig(base.withValue("kind",
                ConfigValueFactory.fromAnyRef("MLP"))).kind());
        assertEquals(ModelKind.TRANSFORMER, ModelConfig.fromConfig(base).kind());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(
                base.withValue("kind", ConfigValueFactory.fromAnyRef("cnn"))));
        assertTrue(e.getMessage().contains("troupe.model.kind") && e.getMessage().contains("transformer or mlp"),
                e.getMessage());
    }

    @Test
    void readoutIsReadInAnyCaseNamedInTheModelIdOnlyWhenMeanAndAnUnknownOneNamesTheKey() {
        Config base = ConfigFactory.defaultReference().getConfig("troupe.model");
        ModelConfig summary = ModelConfig.fromConfig(base);
        assertEquals(Readout.SUMMARY, summary.readout());
        assertEquals("transformer(e32,h4,l1,ff64,p6,s1)", summary.describe(), "ids of summary read-outs stay as they were");
        ModelConfig mean = ModelConfig.fromConfig(base.withValue("readout", ConfigValueFactory.fromAnyRef("MEAN")));
        assertEquals(Readout.MEAN, mean.readout());
        assertEquals("transformer(e32,h4,l1,ff64,p6,s1,mean)", mean.describe());
        assertFalse(mean.equals(summary), "another read-out is another architecture");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(
                base.withValue("readout", ConfigValueFactory.fromAnyRef("max"))));
        assertTrue(e.getMessage().contains("troupe.model.readout") && e.getMessage().contains("summary, mean"),
                e.getMessage());
    }

    @Test
    void meanReadoutReadsTheSameParametersFromEveryToken() {
        // same seed, same parameters (the read-out adds none); only where the head reads from differs
        try (PolicyModel summary = PolicyModel.create(GRID, SMALL_TRANSFORMER, 3, Device.cpu());
             PolicyModel mean = PolicyModel.create(GRID, SMALL_TRANSFORMER.withReadout(Readout.MEAN), 3,
                     Device.cpu())) {
            assertArrayEquals(summary.flatParameters(), mean.flatParameters());
            ObservationBatch obs = randomObs(GRID, 4, 8);
            PolicyModel.Output a = summary.infer(obs);
            PolicyModel.Output b = mean.infer(obs);
            assertEquals(a.logits().length, b.logits().length);
            assertFalse(Arrays.equals(a.logits(), b.logits()), "the mean read-out is not the summary token's");
            for (float f : b.logits()) {
                assertTrue(Float.isFinite(f));
            }
        }
    }

    @Test
    void outputShapesForEverySpaceKind() {
        for (var pair : List.of(List.of(CARTPOLE, ModelConfig.mlp(64, 64)), List.of(CARTPOLE, SMALL_TRANSFORMER),
                List.of(GRID, SMALL_TRANSFORMER))) {
            EnvSpec spec = (EnvSpec) pair.get(0);
            try (PolicyModel m = PolicyModel.create(spec, (ModelConfig) pair.get(1), 1, Device.cpu())) {
                PolicyModel.Output out = m.infer(randomObs(spec, 3, 2));
                int actions = ((Discrete) spec.actionSpace()).n();
                assertEquals(3 * actions, out.logits().length, m.modelId());
                assertEquals(3, out.values().length);
                for (float f : out.logits()) {
                    assertTrue(Float.isFinite(f));
                }
            }
        }
    }

    @Test
    void transformerReadsEveryModality() {
        try (PolicyModel m = PolicyModel.create(GRID, SMALL_TRANSFORMER, 1, Device.cpu())) {
            ObservationBatch obs = randomObs(GRID, 1, 5);
            float[] base = m.infer(obs).logits();
            for (String modality : List.of("image", "mission", "state")) {
                ObservationBatch changed = randomObs(GRID, 1, 5);
                ObservationBatch other = randomObs(GRID, 1, 99);
                int idx = changed.indexOf(modality);
                System.arraycopy(other.array(idx), 0, changed.array(idx), 0, changed.elements(idx));
                assertFalse(Arrays.equals(base, m.infer(changed).logits()),
                        "changing the " + modality + " changes the policy");
            }
        }
    }

    @Test
    void mlpRefusesImagesAndPatchMustDivideTheImage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PolicyModel.create(GRID, ModelConfig.mlp(64), 1, Device.cpu()));
        assertTrue(e.getMessage().contains("kind = transformer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PolicyModel.create(GRID, ModelConfig.transformer(16, 2, 1, 32, 7, 1), 1, Device.cpu()));
        assertTrue(e.getMessage().contains("patch-size = 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.transformer(30, 4, 1, 32, 6, 1));
        assertTrue(e.getMessage().contains("heads"), e.getMessage());
    }

    @Test
    void weightsRoundTripAndRefuseAnotherArchitectureNamingTheParameter() {
        try (PolicyModel a = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 1, Device.cpu());
             PolicyModel b = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 2, Device.cpu());
             PolicyModel c = PolicyModel.create(CARTPOLE, ModelConfig.mlp(32, 64), 1, Device.cpu())) {
            ObservationBatch obs = randomObs(CARTPOLE, 4, 1);
            assertFalse(Arrays.equals(a.infer(obs).logits(), b.infer(obs).logits()));
            PolicyWeights w = a.weights(7);
            assertEquals(7, w.version());
            b.load(w);
            assertArrayEquals(a.infer(obs).logits(), b.infer(obs).logits());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.load(w));
            assertTrue(e.getMessage().contains("actor") && e.getMessage().contains("shape"), e.getMessage());
            IllegalArgumentException corrupt = assertThrows(IllegalArgumentException.class,
                    () -> b.load(new PolicyWeights(w.modelId(), 1, Arrays.copyOf(w.bytes(), 100))));
            assertTrue(corrupt.getMessage().contains("truncated or corrupt"), corrupt.getMessage());
        }
    }

    /**
     * Two samples, 2 actions, clip 0.2. Row 0: logits [0, 0], action 0, old log-prob ln 0.25 -> ratio 2, advantage 1:
     * max(-2, -1.2) = -1.2. Row 1: logits [ln 3, 0] (p = [0.75, 0.25]), action 1, old ln 0.5 -> ratio 0.5, advantage
     * -1: max(0.5, 0.8) = 0.8. pg_loss = -0.2. Entropy: (ln 2 + 0.5623351446) / 2. Values new [1, 2], old [0.5, 2.5],
     * returns [2, 1]: clipped values 0.7 and 2.3 give squared errors 1.69 (> 1), v_loss = 0.5 * 1.69 = 0.845.
     */
    @Test
    void ppoLossMatchesAHandComputedCase() {
        try (NDManager m = NDManager.newBaseManager()) {
            PpoConfig c = PpoConfig.cleanRl();
            NDArray logits = m.create(new float[] {0f, 0f, (float) Math.log(3), 0f}, new Shape(2, 2));
            PpoLosses.Losses l = PpoLosses.compute(logits, m.create(new float[] {1, 2}), m.create(new int[] {0, 1}),
                    m.create(new float[] {(float) Math.log(0.25), (float) Math.log(0.5)}),
                    m.create(new float[] {0.5f, 2.5f}), m.create(new float[] {1, -1}), m.create(new float[] {2, 1}), c);
            double entropy = (Math.log(2) + 0.5623351446) / 2;
            assertEquals(-0.2, l.pgLoss().getFloat(), 1e-5);
            assertEquals(0.845, l.vLoss().getFloat(), 1e-5);
            assertEquals(entropy, l.entropy().getFloat(), 1e-5);
            assertEquals(-0.2 - 0.01 * entropy + 0.5 * 0.845, l.loss().getFloat(), 1e-5);
        }
    }

    static RolloutBatch rollout(int n, long seed, boolean poison) {
        ObservationBatch obs = randomObs(CARTPOLE, n, seed);
        SplittableRandom r = new SplittableRandom(seed);
        int[] act = new int[n];
        float[] lp = new float[n];
        float[] v = new float[n];
        float[] adv = new float[n];
        float[] ret = new float[n];
        for (int i = 0; i < n; i++) {
            act[i] = r.nextInt(2);
            lp[i] = (float) Math.log(0.5);
            adv[i] = poison ? Float.NaN : (float) r.nextGaussian();
            ret[i] = (float) r.nextGaussian();
        }
        return new RolloutBatch(obs, act, lp, v, adv, ret);
    }

    @Test
    void nonFiniteLossesSkipTheUpdateAndKeepTheWeights() {
        try (PolicyModel m = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 1, Device.cpu());
             Adam adam = Adam.withDefaults(m.parameters(), m.manager())) {
            byte[] before = m.weights(0).bytes();
            PpoStats stats = PpoUpdate.update(m, adam, rollout(64, 1, true), PpoConfig.cleanRl(), 1e-3,
                    new SplittableRandom(1));
            assertEquals(stats.minibatches(), stats.skippedMinibatches());
            assertArrayEquals(before, m.weights(0).bytes());
            assertEquals(0, adam.steps());
            PpoStats ok = PpoUpdate.update(m, adam, rollout(64, 1, false), PpoConfig.cleanRl(), 1e-3,
                    new SplittableRandom(1));
            assertEquals(0, ok.skippedMinibatches());
            assertFalse(Arrays.equals(before, m.weights(0).bytes()));
        }
    }

    /** Resuming from a checkpoint continues exactly as if training had not stopped: same weights, same optimizer. */
    @Test
    void checkpointResumesParametersOptimizerAndCounters() {
        PpoConfig c = PpoConfig.cleanRl();
        byte[] uninterrupted;
        try (PolicyModel m = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 1, Device.cpu());
             Adam adam = Adam.withDefaults(m.parameters(), m.manager())) {
            PpoUpdate.update(m, adam, rollout(128, 1, false), c, 1e-3, new SplittableRandom(1));
            LearnerCheckpoint.save(dir, m, adam, new LearnerCheckpoint.Counters(1, 128, 1));
            PpoUpdate.update(m, adam, rollout(128, 2, false), c, 1e-3, new SplittableRandom(2));
            uninterrupted = m.weights(2).bytes();
        }
        try (PolicyModel m = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 9, Device.cpu());
             Adam adam = Adam.withDefaults(m.parameters(), m.manager())) {
            LearnerCheckpoint.Counters counters = LearnerCheckpoint.load(dir, m, adam).orElseThrow();
            assertEquals(new LearnerCheckpoint.Counters(1, 128, 1), counters);
            assertEquals(16, adam.steps(), "the optimizer's step count is restored, not reset");
            PpoUpdate.update(m, adam, rollout(128, 2, false), c, 1e-3, new SplittableRandom(2));
            assertArrayEquals(uninterrupted, m.weights(2).bytes());
        }
        try (PolicyModel other = PolicyModel.create(CARTPOLE, ModelConfig.mlp(32), 1, Device.cpu());
             Adam adam = Adam.withDefaults(other.parameters(), other.manager())) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> LearnerCheckpoint.load(dir, other, adam));
            assertTrue(e.getMessage().contains("cannot be loaded"), e.getMessage());
        }
    }

    /**
     * The Java arithmetic Adam runs on the CPU takes the same steps as the tensor arithmetic a GPU runs (clipping
     * included), and either one's saved state continues in the other.
     */
    @Test
    void adamsJavaArithmeticMatchesItsTensorArithmetic() {
        PpoConfig c = PpoConfig.cleanRl();
        try (PolicyModel host = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 3, Device.cpu());
             PolicyModel tensors = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 3, Device.cpu());
             Adam hostAdam = Adam.withDefaults(host.parameters(), host.manager());
             Adam tensorAdam = Adam.withTensorArithmetic(tensors.parameters(), tensors.manager())) {
            float[] start = host.flatParameters();
            for (int round = 0; round < 3; round++) { // 3 updates x 16 minibatches, with gradient clipping at 0.5
                PpoUpdate.update(host, hostAdam, rollout(128, 10 + round, false), c, 3e-3,
                        new SplittableRandom(round));
                PpoUpdate.update(tensors, tensorAdam, rollout(128, 10 + round, false), c, 3e-3,
                        new SplittableRandom(round));
            }
            float[] a = host.flatParameters();
            float[] b = tensors.flatParameters();
            double moved = 0;
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                moved = Math.max(moved, Math.abs(a[i] - start[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            assertTrue(moved > 1e-2, "the updates moved the weights by " + moved);
            assertTrue(diff < 1e-4, "Java and tensor Adam differ by " + diff + " after moving weights by " + moved);
            assertEquals(hostAdam.steps(), tensorAdam.steps());
            // the host state saved and loaded into the tensor path (and back) continues identically
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(saved)) {
                hostAdam.save(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try (PolicyModel copy = PolicyModel.create(CARTPOLE, ModelConfig.mlp(64, 64), 3, Device.cpu());
                 Adam copyAdam = Adam.withTensorArithmetic(copy.parameters(), copy.manager())) {
                copy.load(host.weights(1));
                copyAdam.load(new DataInputStream(new ByteArrayInputStream(saved.toByteArray())));
                PpoUpdate.update(host, hostAdam, rollout(128, 20, false), c, 3e-3, new SplittableRandom(7));
                PpoUpdate.update(copy, copyAdam, rollout(128, 20, false), c, 3e-3, new SplittableRandom(7));
                float[] x = host.flatParameters();
                float[] y = copy.flatParameters();
                double after = 0;
                for (int i = 0; i < x.length; i++) {
                    after = Math.max(after, Math.abs(x[i] - y[i]));
                }
                assertTrue(after < 1e-4, "a restored optimizer continues the same: difference " + after);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
