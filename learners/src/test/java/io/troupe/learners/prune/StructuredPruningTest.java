package io.troupe.learners.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.troupe.core.ObservationBatch;
import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class StructuredPruningTest {

    @Test
    void halvingTheCartPoleMlpShrinksEveryHiddenLayerAndHalvesTheParameters() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.mlp(64, 64), 1,
                Device.cpu())) {
            StructuredPruning.Result r = StructuredPruning.hidden(model, 0.5, 1);
            try (PolicyModel small = r.model()) {
                assertArrayEquals(new int[] {44, 44}, r.config().mlpHidden());
                assertEquals(9155, model.parameterCount());
                assertTrue(small.parameterCount() <= 9155 / 2, "" + small.parameterCount());
                assertTrue(small.parameterCount() > 0.45 * 9155, "" + small.parameterCount());
                assertEquals(List.of(44L, 4L), List.of(shape(small, 0)[0], shape(small, 0)[1]));
                assertEquals(List.of(44L, 44L), List.of(shape(small, 2)[0], shape(small, 2)[1]));
                assertEquals(List.of(2L, 44L), List.of(shape(small, 4)[0], shape(small, 4)[1]));
            }
        }
    }

    @Test
    void removingMlpUnitsThatFeedNothingLeavesTheOutputsUnchanged() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.mlp(64, 64), 2,
                Device.cpu())) {
            // silence 20 units of every hidden layer (actor and critic): their outgoing weights become zero
            for (StructuredPruning.UnitGroup g : StructuredPruning.groups(model)) {
                for (int p : g.columns()) {
                    zeroColumns(model, p, 0, 20);
                }
            }
            ObservationBatch obs = PruneFixtures.observations(model.spec(), 64, 9);
            PolicyModel.Output full = model.infer(obs);
            StructuredPruning.Result r = StructuredPruning.hidden(model, 0.5, 1);
            try (PolicyModel small = r.model()) {
                PolicyModel.Output pruned = small.infer(obs);
                assertArrayEquals(full.logits(), pruned.logits(), 1e-6f);
                assertArrayEquals(full.values(), pruned.values(), 1e-6f);
            }
            // the control: removing units that do feed the output changes it
            StructuredPruning.Result more = StructuredPruning.hidden(model, 0.8, 1);
            try (PolicyModel smaller = more.model()) {
                float[] v = smaller.infer(obs).values(); // the critic's output gain is 1, the actor's 0.01
                double diff = 0;
                for (int i = 0; i < v.length; i++) {
                    diff = Math.max(diff, Math.abs(v[i] - full.values()[i]));
                }
                assertTrue(diff > 1e-4, "pruning live units changed nothing: " + diff);
            }
        }
    }

    @Test
    void transformerFeedForwardUnitsArePrunedAndSilentOnesLeaveTheOutputsUnchanged() {
        ModelConfig config = ModelConfig.transformer(32, 4, 2, 256, 6, 2);
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, config, 2, Device.cpu())) {
            List<StructuredPruning.UnitGroup> groups = StructuredPruning.groups(model);
            assertEquals(2, groups.size());
            for (StructuredPruning.UnitGroup g : groups) {
                for (int p : g.columns()) {
                    zeroColumns(model, p, 0, 200); // 200 of 256 ff units of each block feed nothing
                }
            }
            ObservationBatch obs = PruneFixtures.observations(model.spec(), 32, 4);
            PolicyModel.Output full = model.infer(obs);
            StructuredPruning.Result r = StructuredPruning.hidden(model, 0.3, 1);
            try (PolicyModel small = r.model()) {
                assertTrue(r.config().feedForward() < 256 && r.config().feedForward() >= 56,
                        "ff " + r.config().feedForward());
                assertTrue(small.parameterCount() <= 0.7 * model.parameterCount());
                for (StructuredPruning.UnitGroup g : StructuredPruning.groups(small)) {
                    assertEquals(r.config().feedForward(), shape(small, g.rows()[0])[0]);
                    assertEquals(r.config().feedForward(), shape(small, g.columns()[0])[1]);
                }
                PolicyModel.Output pruned = small.infer(obs);
                assertArrayEquals(full.logits(), pruned.logits(), 1e-5f);
                assertArrayEquals(full.values(), pruned.values(), 1e-5f);
            }
        }
    }

    @Test
    void theShrunkConfigKeepsTheAblationAndTheParallelism() {
        ModelConfig config = ModelConfig.transformer(32, 4, 2, 256, 6, 2).withAblation(Ablation.TEXT)
                .withParallelism(new Parallelism(2, 4));
        ModelConfig shrunk = StructuredPruning.shrunk(config, 128, 256);
        assertEquals(128, shrunk.feedForward());
        assertEquals(Ablation.TEXT, shrunk.ablate());
        assertEquals(config.parallel(), shrunk.parallel());
        ModelConfig mlp = StructuredPruning.shrunk(ModelConfig.mlp(64, 64).withAblation(Ablation.IMAGE), 32, 64);
        assertEquals(Ablation.IMAGE, mlp.ablate());
    }

    @Test
    void unknownKindsAndHeadsAreRefusedNamingTheInput() {
        assertEquals(StructuredPruning.Kind.HIDDEN, StructuredPruning.Kind.parse("hidden"));
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> StructuredPruning.Kind.parse("heads"));
        assertTrue(heads.getMessage().startsWith("--structured heads"), heads.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> StructuredPruning.Kind.parse("channels"));
        assertEquals("--structured channels: unknown structured kind; supported: hidden", other.getMessage());
    }

    @Test
    void aSparsityTheHiddenUnitsCannotReachIsRefused() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.transformer(32, 4, 1, 16, 6,
                2), 2, Device.cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StructuredPruning.hidden(model, 0.9, 1));
            assertTrue(e.getMessage().startsWith("--sparsity 0.9 with --structured hidden"), e.getMessage());
        }
    }

    private static long[] shape(PolicyModel m, int param) {
        return m.parameters().get(param).getValue().getArray().getShape().getShape();
    }

    /** Zeroes columns {@code [from, to)} of parameter {@code param} (a 2-D weight). */
    private static void zeroColumns(PolicyModel model, int param, int from, int to) {
        NDArray a = model.parameters().get(param).getValue().getArray();
        int cols = (int) a.getShape().get(1);
        float[] v = a.toFloatArray();
        for (int r = 0; r < v.length / cols; r++) {
            for (int c = from; c < to; c++) {
                v[r * cols + c] = 0f;
            }
        }
        InPlace.copy(a, v);
    }
}
