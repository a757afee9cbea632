package io.troupe.learners.parallel;

import ai.djl.Device;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelKind;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.Parallelism;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code troupe.learner.device-memory-budget}: what a learner's model needs on each device, estimated from the env's
 * spaces and {@code troupe.model} before anything is allocated, and the refusal of a layout that does not fit. Per
 * stage: parameters, gradients and Adam's two moments (4 + 4 + 8 bytes per parameter), and activations for the rows
 * of one minibatch (GPipe keeps every micro-batch's activations until its backward) plus one micro-batch's backward
 * workspace. A transformer block keeps, per row, about {@code 10 T E + 2 T F + 2 H T^2} floats for T tokens,
 * embedding E, feed-forward F and H heads (normed inputs, Q, K, V, the attention scores and their softmax, the
 * attention and feed-forward outputs, residuals). Pure arithmetic; {@code MemoryBudgetTest} checks the parameter
 * counts against built models.
 */
public final class MemoryBudget {
    private static final long FLOAT = 4;

    private MemoryBudget() {
    }

    /**
     * The estimate of every pipeline stage ({@code troupe.model.parallel.pipeline-stages} of them) for minibatches of
     * {@code rows} rows cut into {@code troupe.model.parallel.micro-batches} micro-batches.
     */
    public static List<MemoryEstimate> perStage(EnvSpec spec, ModelConfig model, int rows) {
        int actions = ((Discrete) spec.actionSpace()).n();
        int micro = (int) Math.ceil(rows / (double) Math.max(1, Math.min(rows, model.parallel().microBatches())));
        if (model.kind() == ModelKind.MLP) {
            int in = ObservationBatch.modalitiesOf(spec.observationSpace()).get(0).elements();
            long params = mlp(in, model.mlpHidden(), actions) + mlp(in, model.mlpHidden(), 1);
            long perRow = 2L * 2 * Arrays.stream(model.mlpHidden()).sum() + actions + 1 + in;
            return List.of(estimate(params, perRow * rows + perRow * micro));
        }
        int e = model.embedding();
        int f = model.feedForward();
        long tokens = 1;
        long embedParams = e; // the summary token
        long embedPerRow = 0;
        List<ObservationBatch.Modality> modalities = ObservationBatch.modalitiesOf(spec.observationSpace());
        for (ObservationBatch.Modality m : modalities) {
            Space sub = spec.observationSpace() instanceof Dict d ? d.spaces().get(m.name()) : spec.observationSpace();
            long t;
            if (sub instanceof Text text) {
                int vocabulary = text.vocabulary().size();
                t = text.maxTokens();
                embedParams += (long) vocabulary * e; // a linear map of one-hot tokens, no bias
                embedPerRow += t * vocabulary;
            } else if (m.dtype() == DType.UINT8 && m.shape().length == 3) {
                int p = model.patchSize();
                t = (long) (m.shape()[1] / p) * (m.shape()[2] / p);
                embedParams += (long) m.shape()[0] * p * p * e + e; // a strided convolution
                embedPerRow += 2L * m.elements();
            } else {
                t = model.stateTokens();
                embedParams += (long) m.elements() * t * e + t * e;
                embedPerRow += m.elements();
            }
            embedParams += t * e + e; // positions and the modality type
            tokens += t;
        }
        embedPerRow += 4 * tokens * e;
        // DJL's LayerNorm over a (B, T, E) input normalizes each row over (T, E): a gain and a bias per token and unit
        // attention: query, key and value project E to the heads' width A (heads x head size), the output A back to E
        int a = model.attentionWidth();
        long blockParams = 2 * (2 * tokens * e) + 3L * ((long) e * a + a) + ((long) a * e + e) + ((long) e * f + f)
                + ((long) f * e + e);
        long blockPerRow = 6 * tokens * e + 4 * tokens * a + 2 * tokens * f + 2L * model.heads() * tokens * tokens;
        long headParams = 2L * e + ((long) e * actions + actions) + (e + 1);
        long headPerRow = 4L * e + 2L * actions;
        int k = model.parallel().pipelineStages();
        List<MemoryEstimate> stages = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            int blocks = (int) ((long) model.layers() * (s + 1) / k - (long) model.layers() * s / k);
            long params = blocks * blockParams + (s == 0 ? embedParams : 0) + (s == k - 1 ? headParams : 0);
            long perRow = blocks * blockPerRow + (s == 0 ? embedPerRow : 0) + (s == k - 1 ? headPerRow : 0);
            stages.add(estimate(params, perRow * rows + (blocks > 0 ? blockPerRow : perRow) * micro));
        }
        return stages;
    }

    /** Scalar parameters of the whole model (the sum over stages). */
    public static long parameterCount(EnvSpec spec, ModelConfig model, int rows) {
        return perStage(spec, model, rows).stream().mapToLong(MemoryEstimate::parameters).sum() / FLOAT;
    }

    /**
     * What each device of one replica holds under {@link ModelReplicas#layout}: one estimate per listed device (a
     * device listed once with K stages holds all of them; a device listed several times, as the CPU tests do,
     * stands for that many devices).
     */
    public static List<MemoryEstimate> perDevice(EnvSpec spec, ModelConfig model, int rows, List<Device> devices) {
        List<MemoryEstimate> stages = perStage(spec, model, rows);
        ModelReplicas.layout(devices, stages.size()); // refuses a device count the stages do not divide
        if (devices.size() == 1) {
            return List.of(stages.stream().reduce(MemoryEstimate.ZERO, MemoryEstimate::plus));
        }
        return stages; // replica 0 on devices 0..K-1, one stage each; every replica needs the same
    }

    /**
     * A model that only infers (the distillation teacher), whole on one device: its parameters and what one forward
     * pass over {@code rows} rows holds at most; no gradients, no optimizer state.
     */
    public static MemoryEstimate inference(EnvSpec spec, ModelConfig model, int rows) {
        MemoryEstimate whole = perStage(spec, model.withParallelism(Parallelism.NONE), rows).stream()
                .reduce(MemoryEstimate.ZERO, MemoryEstimate::plus);
        return new MemoryEstimate(whole.parameters(), 0, 0, whole.activations());
    }

    /**
     * Refuses, before allocation, a model whose part on some device exceeds {@code budgetBytes} (0: unlimited),
     * with the numbers per component and the keys to change.
     */
    public static void check(EnvSpec spec, ModelConfig model, int rows, List<Device> devices, long budgetBytes) {
        check(spec, model, rows, devices, budgetBytes, MemoryEstimate.ZERO);
    }

    /**
     * As {@link #check(EnvSpec, ModelConfig, int, List, long)}, with {@code teacher} (a distillation teacher's
     * {@link #inference}) held on the first device too.
     */
    public static void check(EnvSpec spec, ModelConfig model, int rows, List<Device> devices, long budgetBytes,
                             MemoryEstimate teacher) {
        if (budgetBytes <= 0) {
            return;
        }
        List<MemoryEstimate> need = perDevice(spec, model, rows, devices);
        for (int d = 0; d < need.size(); d++) {
            MemoryEstimate n = d == 0 ? need.get(d).plus(teacher) : need.get(d);
            if (n.total() > budgetBytes) {
                int k = model.parallel().pipelineStages();
                String where = need.size() == 1 ? (k == 1 ? "the whole model on " + devices.get(0) + " needs "
                        : "its " + k + " stages, all on " + devices.get(0) + ", need ")
                        : "stage " + d + " of " + k + " on " + devices.get(d) + " needs ";
                String withTeacher = d == 0 && teacher.total() > 0 ? " with the distillation teacher's "
                        + MemoryEstimate.bytes(teacher.total()) + " (its parameters and one forward pass over the "
                        + "batch)" : "";
                throw new IllegalArgumentException("troupe.learner.device-memory-budget = "
                        + MemoryEstimate.bytes(budgetBytes) + " per device, but " + where + n.describe() + withTeacher
                        + " for " + parameterCount(spec, model, rows) + " parameters and minibatches of " + rows
                        + " rows in " + model.parallel().microBatches() + " micro-batch(es); split the model over "
                        + "more devices (troupe.model.parallel.pipeline-stages with that many devices in "
                        + "troupe.learner.device), shrink troupe.model, or raise the budget");
            }
        }
    }

    private static MemoryEstimate estimate(long parameters, long activationFloats) {
        return new MemoryEstimate(parameters * FLOAT, parameters * FLOAT, 2 * parameters * FLOAT,
                activationFloats * FLOAT);
    }

    private static long mlp(int in, int[] hidden, int out) {
        long n = 0;
        int prev = in;
        for (int h : hidden) {
            n += (long) prev * h + h;
            prev = h;
        }
        return n + (long) prev * out + out;
    }
}
