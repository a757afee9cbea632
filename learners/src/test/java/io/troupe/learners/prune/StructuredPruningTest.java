package io.troupe.learners.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.troupe.core.ObservationBatch;
import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.ImageStem;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelKind;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoStats;
import io.troupe.learners.ppo.PpoUpdate;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
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
    void unknownKindsAreRefusedNamingTheInput() {
        assertEquals(StructuredPruning.Kind.HIDDEN, StructuredPruning.Kind.parse("hidden"));
        assertEquals(StructuredPruning.Kind.HEADS, StructuredPruning.Kind.parse(" Heads"));
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> StructuredPruning.Kind.parse("channels"));
        assertEquals("--structured channels: unknown structured kind; supported: hidden, heads, embedding",
                other.getMessage());
        assertEquals(StructuredPruning.Kind.EMBEDDING, StructuredPruning.Kind.parse("embedding"));
    }

    @Test
    void headPruningShrinksTheAttentionAndTheParameterCountFallsAsComputed() {
        ModelConfig config = ModelConfig.transformer(32, 4, 2, 64, 6, 2);
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, config, 2, Device.cpu())) {
            long original = model.parameterCount();
            // one head of 8 in one block: key, query and value rows (3 x 8 x 32 weights, 3 x 8 biases) and the
            // output projection's 8 columns (32 x 8)
            long perHead = 4 * 32 * 8 + 3 * 8;
            // asks for more than one head per block (2 x 1,048) and at most two: two of the four heads go
            StructuredPruning.Result r = StructuredPruning.heads(model, 4000.0 / original, 1);
            try (PolicyModel small = r.model()) {
                assertEquals(2, r.config().heads());
                assertEquals(8, r.config().headSize());
                assertEquals(16, r.config().attentionWidth());
                assertEquals(32, r.config().embedding());
                assertEquals(64, r.config().feedForward());
                assertEquals("heads 2/4", r.kept());
                assertEquals("transformer(e32,h2,hs8,l2,ff64,p6,s2)", r.config().describe());
                assertEquals(original - 2 * 2 * perHead, small.parameterCount());
                List<StructuredPruning.UnitGroup> groups = StructuredPruning.groups(small,
                        StructuredPruning.Kind.HEADS);
                assertEquals(2, groups.size());
                for (StructuredPruning.UnitGroup g : groups) {
                    for (int p : g.rows()) {
                        assertEquals(16L, shape(small, p)[0], small.parameters().get(p).getKey());
                    }
                    assertArrayEquals(new long[] {32, 16}, shape(small, g.columns()[0]));
                }
            }
        }
    }

    @Test
    void removingHeadsGivesTheOriginalWithThoseHeadsOutputProjectionZeroed() {
        ModelConfig config = ModelConfig.transformer(32, 4, 2, 64, 6, 2);
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, config, 3, Device.cpu())) {
            ObservationBatch obs = PruneFixtures.observations(model.spec(), 32, 4);
            PolicyModel.Output full = model.infer(obs);
            List<StructuredPruning.UnitGroup> groups = StructuredPruning.groups(model, StructuredPruning.Kind.HEADS);
            List<int[]> kept = groups.stream().map(g -> StructuredPruning.kept(model, g, 3)).toList();
            StructuredPruning.Result r = StructuredPruning.prune(model, EnumSet.of(StructuredPruning.Kind.HEADS),
                    0.05, 1);
            assertEquals(3, r.config().heads(), r.kept());
            try (PolicyModel small = r.model()) {
                PolicyModel.Output pruned = small.infer(obs);
                // the original with the removed head of each block silenced: its 8 columns of the output projection
                for (int gi = 0; gi < groups.size(); gi++) {
                    int removed = removedHead(kept.get(gi));
                    zeroColumns(model, groups.get(gi).columns()[0], removed * 8, removed * 8 + 8);
                }
                PolicyModel.Output silenced = model.infer(obs);
                assertArrayEquals(silenced.logits(), pruned.logits(), 1e-5f);
                assertArrayEquals(silenced.values(), pruned.values(), 1e-5f);
                // the control: the removed heads did contribute to the original's outputs
                assertTrue(maxDiff(full.values(), pruned.values()) > 1e-4, "" + maxDiff(full.values(),
                        pruned.values()));
            }
        }
    }

    @Test
    void aHeadWithoutValueOrOutputWeightsScoresZeroAndGoesFirst() {
        ModelConfig config = ModelConfig.transformer(32, 4, 1, 64, 6, 2);
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, config, 4, Device.cpu())) {
            StructuredPruning.UnitGroup g = StructuredPruning.groups(model, StructuredPruning.Kind.HEADS).get(0);
            zeroColumns(model, g.columns()[0], 16, 24); // head 2 feeds nothing
            double[] s = StructuredPruning.saliency(model, g);
            assertEquals(0.0, s[2]);
            assertTrue(s[0] > 0 && s[1] > 0 && s[3] > 0, Arrays.toString(s));
            assertArrayEquals(new int[] {0, 1, 3}, StructuredPruning.kept(model, g, 3));
        }
    }

    @Test
    void aHeadPrunedModelFineTunesWithPpo() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.transformer(32, 4, 1, 64, 6,
                2), 5, Device.cpu())) {
            StructuredPruning.Result r = StructuredPruning.heads(model, 0.1, 1);
            try (PolicyModel small = r.model();
                 Adam adam = Adam.withDefaults(small.parameters(), small.manager())) {
                float[] before = small.parameters().get(3).getValue().getArray().toFloatArray();
                for (int u = 0; u < 3; u++) {
                    PpoStats stats = PpoUpdate.update(small, adam, PruneFixtures.rollout(small, 128, 20 + u),
                            PpoConfig.cleanRl(), 1e-3, new SplittableRandom(u));
                    assertTrue(Double.isFinite(stats.policyLoss()), stats.toString());
                }
                float[] after = small.parameters().get(3).getValue().getArray().toFloatArray();
                assertTrue(maxDiff(before, after) > 0, "fine-tuning changed nothing");
                assertEquals(r.config().heads() * 8L, shape(small, StructuredPruning.groups(small,
                        StructuredPruning.Kind.HEADS).get(0).rows()[0])[0]);
            }
        }
    }

    @Test
    void headsAndHiddenShrinkTogetherInProportion() {
        ModelConfig config = ModelConfig.transformer(32, 4, 2, 64, 6, 2);
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, config, 2, Device.cpu())) {
            StructuredPruning.Result r = StructuredPruning.prune(model, EnumSet.of(StructuredPruning.Kind.HEADS,
                    StructuredPruning.Kind.HIDDEN), 0.3, 1);
            try (PolicyModel small = r.model()) {
                int ff = r.config().feedForward();
                assertEquals((int) Math.ceil(4.0 * ff / 64), r.config().heads(), r.kept());
                assertEquals("heads " + r.config().heads() + "/4, hidden units " + ff + "/64", r.kept());
                assertTrue(r.config().heads() < 4 && ff < 64, r.kept());
                assertTrue(small.parameterCount() <= 0.7 * model.parameterCount(), "" + small.parameterCount());
                // one step less pruning would not have reached the sparsity: the most that fits is kept
                ModelConfig bigger = StructuredPruning.shrunk(config.withHeads((int) Math.ceil(4.0 * (ff + 1) / 64)),
                        ff + 1, 64);
                try (PolicyModel next = PolicyModel.create(PruneFixtures.CARTPOLE, bigger, 1, Device.cpu())) {
                    assertTrue(next.parameterCount() > 0.7 * model.parameterCount(), "" + next.parameterCount());
                }
                assertEquals(r.config().heads() * 8L, shape(small, StructuredPruning.groups(small,
                        StructuredPruning.Kind.HEADS).get(0).rows()[0])[0]);
            }
        }
    }

    @Test
    void headsOfAnMlpAndASparsityTheHeadsCannotReachAreRefused() {
        try (PolicyModel mlp = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.mlp(64, 64), 1,
                Device.cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StructuredPruning.heads(mlp, 0.5, 1));
            assertEquals("--structured heads: troupe.model.kind = mlp has no attention heads; use --structured hidden",
                    e.getMessage());
        }
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.transformer(32, 4, 1, 64, 6,
                2), 2, Device.cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StructuredPruning.heads(model, 0.9, 1));
            assertTrue(e.getMessage().startsWith("--sparsity 0.9 with --structured heads: keeping one head per block"),
                    e.getMessage());
        }
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

    /** GoToObject's modalities, 32 channels, 4 heads of 6 (inner width 24), 2 state tokens, feed-forward 48. */
    private static ModelConfig wide() {
        return new ModelConfig(ModelKind.TRANSFORMER, new int[] {64, 64}, 32, 4, 2, 48, 6, 2, Ablation.NONE,
                Parallelism.NONE, 6);
    }

    @Test
    void embeddingPruningNarrowsEveryParameterThatHoldsTheResidualStreamAndTheModelRuns() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.GRID, wide(), 1, Device.cpu())) {
            StructuredPruning.Result r = StructuredPruning.prune(model, EnumSet.of(StructuredPruning.Kind.EMBEDDING),
                    0.5, 1);
            try (PolicyModel small = r.model()) {
                assertEquals("embedding channels 16/32", r.kept());
                assertEquals("transformer(e16,h4,hs6,l2,ff48,p6,s2)", r.config().describe());
                List<String> names = model.parameters().stream().map(p -> p.getKey()).toList();
                assertEquals(names, small.parameters().stream().map(p -> p.getKey()).toList());
                long expected = 0;
                for (int i = 0; i < names.size(); i++) {
                    long[] before = shape(model, i);
                    long[] after = shape(small, i);
                    long[] want = before.clone();
                    switch (StructuredPruning.channelAxis(names.get(i))) {
                        case ROWS -> want[0] = before[0] / 2;
                        case COLUMNS -> want[1] = 16;
                        case LAST -> want[want.length - 1] = 16;
                        case NONE -> {
                            // nothing of the residual stream: no axis of 32 channels (or 2 state tokens x 32)
                            assertTrue(Arrays.stream(before).noneMatch(d -> d == 32 || d == 64), names.get(i)
                                    + " " + Arrays.toString(before));
                        }
                    }
                    assertArrayEquals(want, after, names.get(i));
                    expected += Arrays.stream(want).reduce(1, (a, b) -> a * b);
                }
                assertEquals(expected, small.parameterCount());
                // the ones the issue names, by shape
                assertArrayEquals(new long[] {16, 3, 6, 6}, shape(small, named(small, "m0_image_weight")));
                assertArrayEquals(new long[] {16, 8}, shape(small, named(small, "m1_mission_weight"))); // 7 words and <pad>
                assertArrayEquals(new long[] {32, 5}, shape(small, named(small, "m2_state_weight")));
                assertArrayEquals(new long[] {1, 25, 16}, shape(small, named(small, "m0_image_positions")));
                assertArrayEquals(new long[] {24, 16}, shape(small, named(small, "keyProjection_weight")));
                assertArrayEquals(new long[] {16, 24}, shape(small, named(small, "resultProjection_weight")));
                assertArrayEquals(new long[] {48, 16}, shape(small, named(small, "ff1_weight")));
                assertArrayEquals(new long[] {16, 48}, shape(small, named(small, "ff2_weight")));
                assertArrayEquals(new long[] {4, 16}, shape(small, named(small, "policy_weight")));
                assertArrayEquals(new long[] {16}, shape(small, named(small, "norm_gamma")));
                // a block's norms normalize over every token and channel of the sequence: a gamma per both
                assertArrayEquals(new long[] {1 + 25 + 5 + 2, 16}, shape(small, named(small, "ffNorm_gamma")));
                PolicyModel.Output out = small.infer(PruneFixtures.observations(PruneFixtures.GRID, 8, 3));
                assertEquals(8 * 4, out.logits().length);
                for (float f : out.values()) {
                    assertTrue(Float.isFinite(f));
                }
                // the pruned model's weights are the original's at the kept channels
                int[] kept = StructuredPruning.keptChannels(model, 16);
                int conv = named(model, "m0_image_weight");
                float[] from = model.parameters().get(conv).getValue().getArray().toFloatArray();
                float[] to = small.parameters().get(conv).getValue().getArray().toFloatArray();
                for (int k = 0; k < 16; k++) {
                    assertArrayEquals(Arrays.copyOfRange(from, kept[k] * 108, kept[k] * 108 + 108),
                            Arrays.copyOfRange(to, k * 108, k * 108 + 108));
                }
            }
        }
    }

    /**
     * The exact property: when the removed channels are zero everywhere (every writer, every LayerNorm's gamma and
     * beta) and the kept ones come in pairs c, c + 8 written with opposite signs (so the kept channels' mean is 0 in
     * every token, before and after every block), each LayerNorm of the pruned model divides by the root mean square
     * over 16 channels instead of 32, which is sqrt(2) larger (the same sum of squares over half the entries). So the
     * pruned model is the original with every gamma divided by sqrt(2), up to LayerNorm's epsilon. The control:
     * without that factor the outputs differ, which is the change of statistics fine-tuning has to absorb.
     */
    @Test
    void removingSilentChannelsGivesTheOriginalWithItsLayerNormGammasScaledByTheSquareRootOfTheChannelRatio() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.GRID, wide(), 2, Device.cpu())) {
            int e = 32;
            for (int i = 0; i < model.parameters().size(); i++) {
                String name = model.parameters().get(i).getKey();
                NDArray a = model.parameters().get(i).getValue().getArray();
                float[] v = a.toFloatArray();
                switch (StructuredPruning.channelAxis(name)) {
                    case ROWS -> {
                        int per = v.length / (int) a.getShape().get(0);
                        for (int row = 0; row < a.getShape().get(0); row++) {
                            int c = row % e;
                            for (int j = 0; j < per; j++) {
                                if (c >= 16) {
                                    v[row * per + j] = 0f;
                                } else if (c >= 8) {
                                    v[row * per + j] = -v[(row - 8) * per + j];
                                }
                            }
                        }
                    }
                    case LAST -> {
                        boolean norm = name.endsWith("gamma") || name.endsWith("beta");
                        for (int j = 0; j < v.length; j++) {
                            int c = j % e;
                            v[j] = c >= 16 ? 0f : c >= 8 && !norm ? -v[j - 8] : v[j];
                        }
                    }
                    default -> {
                    }
                }
                InPlace.copy(a, v);
            }
            double[] s = StructuredPruning.channelSaliency(model);
            for (int c = 0; c < e; c++) {
                assertTrue(c < 16 ? s[c] > 0 : s[c] == 0, c + ": " + s[c]);
            }
            ObservationBatch obs = PruneFixtures.observations(PruneFixtures.GRID, 16, 5);
            PolicyModel.Output unscaled = model.infer(obs);
            StructuredPruning.Result r = StructuredPruning.prune(model, EnumSet.of(StructuredPruning.Kind.EMBEDDING),
                    0.5, 1);
            try (PolicyModel small = r.model()) {
                PolicyModel.Output pruned = small.infer(obs);
                for (int i = 0; i < model.parameters().size(); i++) {
                    if (model.parameters().get(i).getKey().endsWith("gamma")) {
                        NDArray g = model.parameters().get(i).getValue().getArray();
                        float[] v = g.toFloatArray();
                        for (int j = 0; j < v.length; j++) {
                            v[j] /= (float) Math.sqrt(2);
                        }
                        InPlace.copy(g, v);
                    }
                }
                PolicyModel.Output scaled = model.infer(obs);
                assertTrue(relDiff(scaled.values(), pruned.values()) < 1e-3, "" + relDiff(scaled.values(),
                        pruned.values()));
                assertTrue(relDiff(scaled.logits(), pruned.logits()) < 1e-3, "" + relDiff(scaled.logits(),
                        pruned.logits()));
                assertTrue(relDiff(unscaled.values(), pruned.values()) > 1e-2, "" + relDiff(unscaled.values(),
                        pruned.values()));
            }
        }
    }

    @Test
    void theRankingKeepsTheChannelsOfLargestSaliencyAndAChannelNothingReadsScoresZero() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.GRID, wide(), 3, Device.cpu())) {
            // channel 5: no LayerNorm passes it to a reader (its gammas are zero); channel 9 written 10x stronger
            for (int i = 0; i < model.parameters().size(); i++) {
                String name = model.parameters().get(i).getKey();
                NDArray a = model.parameters().get(i).getValue().getArray();
                float[] v = a.toFloatArray();
                StructuredPruning.ChannelAxis axis = StructuredPruning.channelAxis(name);
                if (name.endsWith("gamma")) {
                    for (int j = 5; j < v.length; j += 32) {
                        v[j] = 0f;
                    }
                } else if (axis == StructuredPruning.ChannelAxis.ROWS && !name.endsWith("beta")) {
                    int per = v.length / (int) a.getShape().get(0);
                    for (int row = 9; row < a.getShape().get(0); row += 32) {
                        for (int j = 0; j < per; j++) {
                            v[row * per + j] *= 10f;
                        }
                    }
                }
                InPlace.copy(a, v);
            }
            double[] s = StructuredPruning.channelSaliency(model);
            assertEquals(0.0, s[5]);
            int strongest = IntStream.range(0, 32).boxed().max((x, y) -> Double.compare(s[x], s[y])).orElseThrow();
            assertEquals(9, strongest, Arrays.toString(s));
            int[] kept = StructuredPruning.keptChannels(model, 20);
            double[] sorted = Arrays.stream(s).sorted().toArray();
            double threshold = sorted[32 - 20]; // the 20th largest
            assertEquals(20, kept.length);
            for (int c = 0; c < 32; c++) {
                int ch = c;
                boolean isKept = Arrays.stream(kept).anyMatch(k -> k == ch);
                assertEquals(s[c] >= threshold, isKept, c + ": " + s[c] + " vs " + threshold);
            }
            assertTrue(Arrays.stream(kept).noneMatch(k -> k == 5) && Arrays.stream(kept).anyMatch(k -> k == 9));
        }
    }

    /**
     * Ranked by activation (Minitron): a channel scores its mean absolute LayerNorm output over the calibration
     * observations, summed over every LayerNorm; the kept channels are the top ones, and a channel whose gammas and
     * betas are zero in every norm (no reader ever sees it) scores zero and goes, though its weights are not small.
     */
    @Test
    void rankedByActivationTheChannelsOfLargestLayerNormOutputStayAndOneNoNormPassesGoes() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.GRID, wide(), 4, Device.cpu())) {
            for (int i = 0; i < model.parameters().size(); i++) {
                String name = model.parameters().get(i).getKey();
                if (name.endsWith("gamma") || name.endsWith("beta")) {
                    NDArray a = model.parameters().get(i).getValue().getArray();
                    float[] v = a.toFloatArray();
                    for (int j = 3; j < v.length; j += 32) {
                        v[j] = 0f;
                    }
                    InPlace.copy(a, v);
                }
            }
            ObservationBatch calibration = PruneFixtures.observations(PruneFixtures.GRID, 32, 6);
            double[] act = model.channelActivations(calibration);
            assertEquals(0.0, act[3]);
            for (int c = 0; c < 32; c++) {
                assertTrue(c == 3 || act[c] > 0, c + ": " + act[c]);
            }
            int[] kept = StructuredPruning.keptChannels(model, 20, calibration);
            int[] top = IntStream.range(0, 32).boxed().sorted((x, y) -> Double.compare(act[y], act[x])).limit(20)
                    .mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(top, kept);
            StructuredPruning.Result r = StructuredPruning.prune(model, EnumSet.of(StructuredPruning.Kind.EMBEDDING),
                    0.5, 1, calibration);
            try (PolicyModel small = r.model()) {
                assertEquals("embedding channels 16/32 by activation", r.kept());
                assertEquals(16, small.channelActivations(calibration).length);
            }
        }
    }

    @Test
    void embeddingWithHeadsAndHiddenRemovesTheSameFractionOfEachAndNeedsNoHeadDivisibility() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.GRID, ModelConfig.transformer(32, 4, 1, 64, 6, 1),
                1, Device.cpu())) {
            StructuredPruning.Result r = StructuredPruning.prune(model, EnumSet.allOf(StructuredPruning.Kind.class),
                    0.5, 1);
            try (PolicyModel small = r.model()) {
                assertEquals("embedding channels 16/32, heads 2/4, hidden units 32/64", r.kept());
                assertEquals("transformer(e16,h2,l1,ff32,p6,s1)", r.config().describe());
                assertEquals(8, r.config().headSize());
                assertTrue(small.parameterCount() < 0.5 * model.parameterCount(), "" + small.parameterCount());
            }
            // 22 channels for 4 heads of 8: the heads keep their size, no divisibility is needed
            StructuredPruning.Result odd = StructuredPruning.prune(model,
                    EnumSet.of(StructuredPruning.Kind.EMBEDDING), 0.3, 1);
            try (PolicyModel small = odd.model()) {
                assertEquals("transformer(e22,h4,hs8,l1,ff64,p6,s1)", odd.config().describe());
                assertEquals(4 * 8, odd.config().attentionWidth());
                assertEquals(4, small.infer(PruneFixtures.observations(PruneFixtures.GRID, 1, 1)).logits().length);
            }
        }
    }

    @Test
    void embeddingOfAnMlpAndASparsityThatLeavesNoChannelOrNoHeadAreRefusedNamingThem() {
        try (PolicyModel mlp = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.mlp(64, 64), 1,
                Device.cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructuredPruning.prune(
                    mlp, EnumSet.of(StructuredPruning.Kind.EMBEDDING), 0.5, 1));
            assertEquals("--structured embedding: troupe.model.kind = mlp has no embedding (residual stream) to "
                    + "narrow; use --structured hidden", e.getMessage());
        }
        try (PolicyModel model = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.transformer(32, 4, 1, 64, 6,
                2), 2, Device.cpu())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructuredPruning.prune(
                    model, EnumSet.of(StructuredPruning.Kind.EMBEDDING), 0.99, 1));
            assertEquals("--sparsity 0.99 with --structured embedding: removes all 32 channels of "
                    + "troupe.model.embedding; expected a sparsity that leaves at least one (below 0.9844)",
                    e.getMessage());
            IllegalArgumentException heads = assertThrows(IllegalArgumentException.class, () -> StructuredPruning
                    .prune(model, EnumSet.of(StructuredPruning.Kind.HEADS, StructuredPruning.Kind.EMBEDDING), 0.9,
                            1));
            assertEquals("--sparsity 0.9 with --structured heads,embedding: removes all 4 heads of troupe.model.heads;"
                    + " expected a sparsity that leaves at least one (below 0.8750)", heads.getMessage());
        }
    }

    /** A FiLM model (troupe.model.film) keeps its maps through head pruning; width pruning is refused naming why. */
    @Test
    void aFilmModelKeepsItsMapsThroughHeadPruningAndRefusesWidthPruning() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.GRID, ModelConfig.transformer(32, 4, 2, 64, 6, 2)
                .withFilm(true), 2, Device.cpu())) {
            int scale = named(model, "filmScale_weight");
            float[] values = new float[32 * 32];
            for (int i = 0; i < values.length; i++) {
                values[i] = (i % 7) * 0.01f;
            }
            InPlace.copy(model.parameters().get(scale).getValue().getArray(), values);
            StructuredPruning.Result r = StructuredPruning.heads(model, 0.1, 1);
            try (PolicyModel small = r.model()) {
                assertTrue(r.config().film(), r.config().describe());
                assertArrayEquals(values, small.parameters().get(named(small, "filmScale_weight")).getValue()
                        .getArray().toFloatArray());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructuredPruning.prune(
                    model, EnumSet.of(StructuredPruning.Kind.EMBEDDING), 0.5, 1));
            assertTrue(e.getMessage().contains("troupe.model.film = true") && e.getMessage().contains("--structured "
                    + "hidden or heads"), e.getMessage());
        }
    }

    /** A cell-stem model (troupe.model.stem) keeps its stem through head pruning; width pruning is refused. */
    @Test
    void aCellStemModelKeepsItsStemThroughHeadPruningAndRefusesWidthPruning() {
        try (PolicyModel model = PolicyModel.create(PruneFixtures.GRID, ModelConfig.transformer(32, 4, 2, 64, 6, 2)
                .withStem(new ImageStem(8, 3)), 2, Device.cpu())) {
            float[] stem = model.parameters().get(named(model, "_stem_weight")).getValue().getArray().toFloatArray();
            StructuredPruning.Result r = StructuredPruning.heads(model, 0.1, 1);
            try (PolicyModel small = r.model()) {
                assertEquals(new ImageStem(8, 3), r.config().stem(), r.config().describe());
                assertArrayEquals(stem, small.parameters().get(named(small, "_stem_weight")).getValue().getArray()
                        .toFloatArray());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructuredPruning.prune(
                    model, EnumSet.of(StructuredPruning.Kind.EMBEDDING), 0.5, 1));
            assertTrue(e.getMessage().contains("troupe.model.stem.channels = 8") && e.getMessage().contains(
                    "--structured hidden or heads"), e.getMessage());
        }
    }

    private static int named(PolicyModel m, String suffix) {
        for (int i = 0; i < m.parameters().size(); i++) {
            if (m.parameters().get(i).getKey().endsWith(suffix)) {
                return i;
            }
        }
        throw new AssertionError("no parameter named *" + suffix);
    }

    private static double relDiff(float[] a, float[] b) {
        double scale = 0;
        for (float f : a) {
            scale = Math.max(scale, Math.abs(f));
        }
        return maxDiff(a, b) / scale;
    }

    /** The one head of 0..3 that {@code kept} (three heads) lacks. */
    private static int removedHead(int[] kept) {
        return IntStream.range(0, 4).filter(h -> Arrays.stream(kept).noneMatch(k -> k == h)).findFirst().orElseThrow();
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
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
