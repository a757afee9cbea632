package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.compress.PolicyComparison;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.core.Action;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.prune.MagnitudePruning;
import io.troupe.learners.prune.ParameterMask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./troupe compress prune}: the pruned policy is fine-tuned through the embedded training job into a new run
 * that keeps the mask (unstructured) or is a smaller dense model (structured), with a report; every bad input is one
 * line, exit code 2, and nothing written. Returns after fine-tuning a trained run are measured in the README.
 */
class CompressPruneCommandTest {
    @TempDir
    Path dir;

    /** A CartPole run as training leaves it (a freshly initialized 64-64 MLP; PPO on the default job). */
    private Path cartPoleRun() throws Exception {
        Path run = dir.resolve("runs/cartpole");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.conf"), """
                troupe.train { env = "CartPole-v1", algorithm = ppo, num-agents = 1, envs-per-agent = 4 }
                troupe.agent { unroll-length = 32, max-policy-lag = 0, max-unconfirmed-batches = 1 }
                troupe.model { kind = mlp, mlp-hidden = [64, 64] }
                troupe.admin.port = -1
                """);
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel model = PolicyModel.create(env.spec(), ModelConfig.mlp(64, 64), 1, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            // every weight x 3: a new model's logits are all near 0 (its output layer starts small), so pruning it
            // barely moved its policy (KL to the original about 1e-7, below what distillation can measurably halve)
            model.parameters().forEach(p -> p.getValue().getArray().muli(3));
            LearnerCheckpoint.save(run.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(3, 300, 7));
        }
        return run;
    }

    private List<Path> runs() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("runs"))) {
            return s.sorted().toList();
        }
    }

    private Path newRun(Path original) throws Exception {
        return runs().stream().filter(p -> !p.equals(original)).findFirst().orElseThrow();
    }

    @Test
    void unstructuredPruningKeepsExactlyTheMaskedZerosThroughFineTuning() throws Exception {
        Path run = cartPoleRun();
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.8",
                "--finetune-steps", "3000", "--gradual-steps", "0", "--eval-episodes", "10", "--latency-seconds",
                "0.2");
        assertEquals(0, r.code(), r.err());
        Path tuned = newRun(run);
        RunCheckpoint c = RunCheckpoint.open(tuned);
        assertTrue(c.policy().counters().updates() > 0, "fine-tuning took no update: " + c.policy().counters());
        ParameterMask mask = ParameterMask.read(tuned.resolve("checkpoints").resolve(ParameterMask.FILE));
        try (PolicyModel model = c.newModel(Device.cpu());
             PolicyModel original = RunCheckpoint.open(run).newModel(Device.cpu())) {
            long zeros = 0;
            long covered = 0;
            boolean changed = false;
            for (int i = 0; i < model.parameters().size(); i++) {
                float[] v = model.parameters().get(i).getValue().getArray().toFloatArray();
                float[] o = original.parameters().get(i).getValue().getArray().toFloatArray();
                for (int j = 0; j < v.length; j++) {
                    if (mask.isPruned(i, j)) {
                        assertEquals(0f, v[j], "pruned entry " + j + " of " + mask.names().get(i));
                    }
                    changed |= !mask.isPruned(i, j) && v[j] != o[j];
                }
                if (MagnitudePruning.prunable(model, i)) {
                    covered += v.length;
                    zeros += MagnitudePruning.zeros(v);
                }
            }
            assertTrue(changed, "fine-tuning changed no kept weight");
            assertEquals(Math.round(0.8 * covered), zeros);
        }
        JsonNode report = JsonCodec.readTree(Files.readString(tuned.resolve("compress-report.json")), "report");
        assertEquals("prune", report.path("method").asText());
        assertEquals(10, report.path("original").path("mean_return").path("n").asInt(), report.toString());
        assertTrue(r.out().contains("mean return (95% CI)"), r.out());
        // the fine-tuned run exports like any run
        CliRun export = CliRun.of("export", "--checkpoint", tuned.toString(), "--out",
                dir.resolve("pruned.onnx").toString());
        assertEquals(0, export.code(), export.err());
    }

    @Test
    void gradualPruningEndsAtExactlyTheSparsity() throws Exception {
        Path run = cartPoleRun();
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.8",
                "--finetune-steps", "4000", "--gradual-steps", "2000", "--eval-episodes", "10", "--latency-seconds",
                "0.2");
        assertEquals(0, r.code(), r.err());
        RunCheckpoint c = RunCheckpoint.open(newRun(run));
        try (PolicyModel model = c.newModel(Device.cpu())) {
            long zeros = 0;
            long covered = 0;
            for (int i = 0; i < model.parameters().size(); i++) {
                if (MagnitudePruning.prunable(model, i)) {
                    float[] v = model.parameters().get(i).getValue().getArray().toFloatArray();
                    zeros += MagnitudePruning.zeros(v);
                    covered += v.length;
                }
            }
            assertEquals(Math.round(0.8 * covered), zeros);
        }
        assertTrue(r.out().contains("gradual: cubic from 0 to 0.80 over the first 2,000 env steps"), r.out());
    }

    /** The gradual schedule ranks by layer when asked: each hidden 64x64 matrix ends with its own 80%, exactly. */
    @Test
    void gradualPruningByLayerEndsWithEachMatrixAtTheSparsity() throws Exception {
        Path run = cartPoleRun();
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.8",
                "--finetune-steps", "4000", "--gradual-steps", "2000", "--ranking", "layer", "--eval-episodes", "10",
                "--latency-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        RunCheckpoint c = RunCheckpoint.open(newRun(run));
        try (PolicyModel model = c.newModel(Device.cpu())) {
            for (int i = 0; i < model.parameters().size(); i++) {
                if (MagnitudePruning.prunable(model, i)) {
                    long zeros = MagnitudePruning.zeros(model.parameters().get(i).getValue().getArray()
                            .toFloatArray());
                    // 0.8 x 4,096 = 3,276.8: both matrices round up, 6,554 = round(0.8 x 8,192) in all
                    assertEquals(3277, zeros, model.parameters().get(i).getKey());
                }
            }
        }
        assertTrue(r.out().contains("layer: zero fraction by matrix: "), r.out());
    }

    /** A run directory holding only the config of a small CartPole transformer job (its weights are written later). */
    private Path transformerRunDir() throws IOException {
        Path run = dir.resolve("runs/cartpole-transformer");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.conf"), """
                troupe.train { env = "CartPole-v1", algorithm = ppo, num-agents = 1, envs-per-agent = 4 }
                troupe.agent { unroll-length = 32, max-policy-lag = 0, max-unconfirmed-batches = 1 }
                troupe.model { kind = transformer, embedding = 16, heads = 4, layers = 1, feed-forward = 32 }
                troupe.admin.port = -1
                """);
        return run;
    }

    /**
     * {@code --ranking layer}: a transformer whose input projection's weights are 100x smaller than the rest (as
     * GoToObject's patch embedding over raw pixels is) keeps its share of every matrix through fine-tuning, where one
     * global threshold would prune the projection whole; the total is still exactly {@code round(0.8 x n)}.
     */
    @Test
    void layerRankingPrunesEachMatrixToTheSparsityAndKeepsItThroughFineTuning() throws Exception {
        Path run = transformerRunDir();
        int input;
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel model = PolicyModel.create(env.spec(), ModelConfig.transformer(16, 4, 1, 32, 6, 1), 1,
                     Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            input = firstCovered(model);
            NDArray w = model.parameters().get(input).getValue().getArray();
            float[] v = w.toFloatArray();
            for (int j = 0; j < v.length; j++) {
                v[j] *= 0.01f;
            }
            InPlace.copy(w, v);
            assertEquals(v.length, prunedIn(MagnitudePruning.select(model, 0.8), input, v.length),
                    "the control: ranked globally the input projection goes whole");
            LearnerCheckpoint.save(run.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(3, 300, 7));
        }
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.8",
                "--ranking", "layer", "--finetune-steps", "1000", "--eval-episodes", "10", "--latency-seconds",
                "0.2");
        assertEquals(0, r.code(), r.err());
        RunCheckpoint c = RunCheckpoint.open(newRun(run));
        assertTrue(c.policy().counters().updates() > 0, "fine-tuning took no update: " + c.policy().counters());
        try (PolicyModel model = c.newModel(Device.cpu())) {
            long zeros = 0;
            long covered = 0;
            for (int i = 0; i < model.parameters().size(); i++) {
                if (MagnitudePruning.prunable(model, i)) {
                    float[] v = model.parameters().get(i).getValue().getArray().toFloatArray();
                    long z = MagnitudePruning.zeros(v);
                    long floor = (long) Math.floor(0.8 * v.length);
                    assertTrue(z == floor || z == floor + 1, model.parameters().get(i).getKey() + ": " + z
                            + " zeros of " + v.length);
                    zeros += z;
                    covered += v.length;
                }
            }
            assertEquals(Math.round(0.8 * covered), zeros);
        }
        assertTrue(r.out().contains("layer: zero fraction by matrix: "), r.out());
    }

    /**
     * {@code --finetune-with distill}: the fine-tuning job distils the original into the pruned policy (the original
     * is the teacher), the mask is kept, and the pruned policy moves toward the original: its KL to the original on
     * CartPole observations falls below the pruned policy's before fine-tuning.
     */
    @Test
    void distillationFromTheOriginalBringsThePrunedPolicyBackTowardItAndKeepsTheMask() throws Exception {
        Path run = cartPoleRun();
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.8",
                "--finetune-steps", "3000", "--finetune-with", "distill", "--finetune-lr-scale", "1",
                "--eval-episodes", "10", "--latency-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        Path tuned = newRun(run);
        Config job = ConfigFactory.parseFile(tuned.resolve("config.conf").toFile());
        assertEquals("distill", job.getString("troupe.train.algorithm"));
        RunCheckpoint original = RunCheckpoint.open(run);
        assertEquals(original.checkpointDir().toAbsolutePath().toString(),
                job.getString("troupe.distill.teacher-checkpoint"));
        assertTrue(r.out().contains("distillation from the original at 1.00 x"), r.out());
        ParameterMask mask = ParameterMask.read(tuned.resolve("checkpoints").resolve(ParameterMask.FILE));
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel teacher = original.newModel(Device.cpu());
             PolicyModel before = original.newModel(Device.cpu());
             PolicyModel after = RunCheckpoint.open(tuned).newModel(Device.cpu())) {
            mask.apply(before);
            ObservationBatch obs = ObservationBatch.forSpace(env.spec().observationSpace(), 512);
            SplittableRandom rng = new SplittableRandom(7);
            env.resetInto(7, obs, 0);
            for (int row = 1; row < 512; row++) {
                StepResult step = env.step(Action.discrete(rng.nextInt(2)));
                if (step.done()) {
                    env.resetInto(obs, row);
                } else {
                    obs.write(row, step.observation());
                }
            }
            float[] t = teacher.infer(obs).logits();
            double klBefore = meanKl(t, before.infer(obs).logits());
            double klAfter = meanKl(t, after.infer(obs).logits());
            System.out.printf("distillation: mean KL to the original %.3g after pruning, %.3g after fine-tuning%n",
                    klBefore, klAfter);
            assertTrue(klAfter < 0.5 * klBefore, "KL to the original: before " + klBefore + ", after " + klAfter);
            for (int i = 0; i < after.parameters().size(); i++) {
                float[] v = after.parameters().get(i).getValue().getArray().toFloatArray();
                for (int j = 0; j < v.length; j++) {
                    if (mask.isPruned(i, j)) {
                        assertEquals(0f, v[j], "pruned entry " + j + " of " + mask.names().get(i));
                    }
                }
            }
        }
        oneLine(CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.8",
                "--finetune-steps", "10", "--finetune-with", "teacher"), "troupe: --finetune-with teacher: expected "
                + "run (the run's own algorithm) or distill (distillation from the original)");
    }

    private static double meanKl(float[] p, float[] q) {
        double sum = 0;
        for (int row = 0; row < p.length / 2; row++) {
            sum += PolicyComparison.kl(p, q, 2 * row, 2);
        }
        return sum / (p.length / 2);
    }

    private static int firstCovered(PolicyModel model) {
        for (int i = 0; i < model.parameters().size(); i++) {
            if (MagnitudePruning.prunable(model, i)) {
                return i;
            }
        }
        throw new AssertionError("no covered matrix");
    }

    private static int prunedIn(ParameterMask mask, int index, int size) {
        int n = 0;
        for (int j = 0; j < size; j++) {
            n += mask.isPruned(index, j) ? 1 : 0;
        }
        return n;
    }

    @Test
    void structuredPruningHalvesTheParametersAsASmallerDenseModel() throws Exception {
        Path run = cartPoleRun();
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.5",
                "--structured", "hidden", "--finetune-steps", "2000", "--eval-episodes", "10",
                "--latency-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        Path tuned = newRun(run);
        RunCheckpoint c = RunCheckpoint.open(tuned);
        assertArrayEquals(new int[] {44, 44}, c.model().mlpHidden());
        try (PolicyModel model = c.newModel(Device.cpu())) {
            assertTrue(model.parameterCount() <= 9155 / 2, "" + model.parameterCount());
        }
        assertTrue(Files.isRegularFile(tuned.resolve("compress-report.json")));
        assertTrue(r.out().contains("hidden units 44/64"), r.out());
    }

    @Test
    void headPruningFineTunesASmallerTransformerThroughTheAgentsAndExports() throws Exception {
        Path run = transformerRunDir();
        ModelConfig config = ModelConfig.transformer(16, 4, 1, 32, 6, 1);
        long originalCount;
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel model = PolicyModel.create(env.spec(), config, 1, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            originalCount = model.parameterCount();
            LearnerCheckpoint.save(run.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(3, 300, 7));
        }
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.15",
                "--structured", "heads", "--finetune-steps", "1000", "--eval-episodes", "10",
                "--latency-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        Path tuned = newRun(run);
        RunCheckpoint c = RunCheckpoint.open(tuned);
        assertTrue(c.policy().counters().updates() > 0, "fine-tuning took no update: " + c.policy().counters());
        // one head of 4 (4 x 16 x 4 + 3 x 4 = 268 parameters) is not enough for 15%; two are
        assertEquals(2, c.model().heads());
        assertEquals(4, c.model().headSize());
        try (PolicyModel model = c.newModel(Device.cpu())) {
            assertEquals(originalCount - 2 * (4 * 16 * 4 + 3 * 4), model.parameterCount());
        }
        assertTrue(r.out().contains("heads 2/4"), r.out());
        CliRun export = CliRun.of("export", "--checkpoint", tuned.toString(), "--out",
                dir.resolve("heads.onnx").toString());
        assertEquals(0, export.code(), export.err());
    }

    /**
     * {@code --structured embedding}: half of the residual stream's channels go (16 -> 8, the heads keep their size
     * 4), the narrower model is fine-tuned by distillation from the original through the agents, the report gives the
     * parameter count, and the result exports; {@code --channel-ranking activations} ranks by activation.
     */
    @Test
    void embeddingPruningNarrowsTheTransformerAndDistillationFineTunesItThroughTheAgents() throws Exception {
        Path run = transformerRunDir();
        long originalCount;
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel model = PolicyModel.create(env.spec(), ModelConfig.transformer(16, 4, 1, 32, 6, 1), 1,
                     Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            originalCount = model.parameterCount();
            LearnerCheckpoint.save(run.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(3, 300, 7));
        }
        CliRun r = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.5",
                "--structured", "embedding", "--finetune-steps", "1000", "--finetune-with", "distill",
                "--eval-episodes", "10", "--latency-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        Path tuned = newRun(run);
        RunCheckpoint c = RunCheckpoint.open(tuned);
        assertTrue(c.policy().counters().updates() > 0, "fine-tuning took no update: " + c.policy().counters());
        assertEquals("distill", ConfigFactory.parseFile(tuned.resolve("config.conf").toFile())
                .getString("troupe.train.algorithm"));
        assertEquals(8, c.model().embedding());
        assertEquals(4, c.model().heads());
        assertEquals(4, c.model().headSize());
        assertEquals("transformer(e8,h4,hs4,l1,ff32,p6,s1)", c.model().describe());
        long prunedCount;
        try (PolicyModel model = c.newModel(Device.cpu())) {
            prunedCount = model.parameterCount();
        }
        assertTrue(prunedCount < 0.6 * originalCount, prunedCount + " of " + originalCount);
        assertTrue(r.out().contains("embedding channels 8/16"), r.out());
        assertTrue(r.out().contains(String.format(Locale.ROOT, "%,d -> %,d parameters", originalCount,
                prunedCount)), r.out());
        CliRun export = CliRun.of("export", "--checkpoint", tuned.toString(), "--out",
                dir.resolve("narrow.onnx").toString());
        assertEquals(0, export.code(), export.err());
        // ranked by activation over greedy episodes of the original in CartPole
        CliRun byActivation = CliRun.of("compress", "prune", "--checkpoint", run.toString(), "--sparsity", "0.5",
                "--structured", "embedding", "--channel-ranking", "activations", "--finetune-steps", "500",
                "--eval-episodes", "10", "--latency-seconds", "0.2");
        assertEquals(0, byActivation.code(), byActivation.err());
        assertTrue(byActivation.out().contains("embedding channels 8/16 by activation"), byActivation.out());
    }

    @Test
    void eachBadInputIsOneLineExitCodeTwoAndNothingWritten() throws Exception {
        Path run = cartPoleRun();
        String ck = run.toString();
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "1.5", "--finetune-steps", "10"),
                "troupe: --sparsity 1.5 is outside (0, 1); expected the fraction to prune, e.g. 0.8");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0", "--finetune-steps", "10"),
                "troupe: --sparsity 0.0 is outside (0, 1); expected the fraction to prune, e.g. 0.8");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0.5", "--structured", "channels",
                "--finetune-steps", "10"), "troupe: --structured channels: unknown structured kind; supported: hidden, "
                + "heads, embedding");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0.5", "--structured", "embedding",
                "--finetune-steps", "10"), "troupe: --structured embedding: troupe.model.kind = mlp has no embedding "
                + "(residual stream) to narrow; use --structured hidden");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0.5", "--structured", "hidden",
                "--channel-ranking", "activations", "--finetune-steps", "10"), "troupe: --channel-ranking activations: "
                + "applies to --structured embedding only");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0.5", "--structured", "embedding",
                "--channel-ranking", "gradients", "--finetune-steps", "10"), "troupe: --channel-ranking gradients: "
                + "expected weights or activations");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0.8", "--ranking", "uniform",
                "--finetune-steps", "10"), "troupe: --ranking uniform: unknown ranking; expected global (one magnitude "
                + "threshold over every covered weight matrix) or layer (each matrix pruned to the sparsity by its own "
                + "magnitudes)");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0.5", "--ranking", "layer",
                "--structured", "hidden", "--finetune-steps", "10"), "troupe: --ranking layer: applies to "
                + "unstructured pruning only, not with --structured");
        Path missing = dir.resolve("runs/missing");
        oneLine(CliRun.of("compress", "prune", "--checkpoint", missing.toString(), "--sparsity", "0.5",
                "--finetune-steps", "10"), "troupe: checkpoint " + missing + " does not exist; expected a run directory "
                + "(runs/<id>), its checkpoints/ folder, or a checkpoint folder");
        // a checkpoint that does not load: the run's config names a narrower network
        Path conf = run.resolve("config.conf");
        Files.writeString(conf, Files.readString(conf).replace("[64, 64]", "[32, 32]"));
        CliRun misfit = CliRun.of("compress", "prune", "--checkpoint", ck, "--sparsity", "0.5", "--finetune-steps",
                "10");
        assertEquals(2, misfit.code());
        assertTrue(misfit.err().startsWith("troupe: checkpoint ") && misfit.err().contains("does not fit"),
                misfit.err());
        assertEquals(List.of(run), runs());
    }

    private static void oneLine(CliRun r, String expected) {
        assertEquals(2, r.code(), r.out());
        assertEquals(expected + System.lineSeparator(), r.err());
    }
}
