package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Discrete;
import java.util.Arrays;
import java.util.List;

/**
 * One pipeline stage of a transformer policy for inference, holding only its slice of the parameters: the model's
 * encoder blocks are split into {@code stages} contiguous runs as {@link PolicyModel#create(EnvSpec, ModelConfig, long,
 * List)} splits them; stage 0 also holds the tokenizers and the summary token, the last stage the final norm and the
 * heads. Chained, the stages compute the whole model's forward pass:
 *
 * <pre>{@code
 * Activations a = stage0.forward(observations);   // tokenizers + stage 0's blocks
 * a = stage1.forward(a);                          // middle stages: their blocks
 * PolicyModel.Output out = stageK.output(a);      // last stage: its blocks, the norm, the heads
 * }</pre>
 *
 * Only the slice's parameters are allocated, so a node holding one stage needs memory for its slice alone; its
 * values come from the whole model's weights ({@link #load}). Owns its native memory (close it). Not thread-safe.
 * Pure: no actors.
 */
public final class PolicyStage implements AutoCloseable {
    private final EnvSpec spec;
    private final ModelConfig config;
    private final int stage;
    private final int stages;
    private final NDManager manager;
    private final TransformerPolicyBlock block;
    private final ParameterStore store;
    private final List<ObservationBatch.Modality> modalities;
    private final boolean[] ablated;
    private final String modelId;
    private final Device device;
    private final List<Pair<String, Parameter>> held;

    /** The activations between two stages: {@code (rows, tokens, embedding)} floats, row-major. */
    public record Activations(int rows, int tokens, int embedding, float[] values) {
        public Activations {
            if ((long) rows * tokens * embedding != values.length) {
                throw new IllegalArgumentException("activations of shape (" + rows + ", " + tokens + ", " + embedding
                        + ") need " + (long) rows * tokens * embedding + " floats, got " + values.length);
            }
        }

        /** Rows {@code [from, to)} as their own activations (a copy). */
        public Activations rows(int from, int to) {
            int row = tokens * embedding;
            return new Activations(to - from, tokens, embedding, Arrays.copyOfRange(values, from * row, to * row));
        }

        /** Bytes of one row's floats. */
        public int bytesPerRow() {
            return tokens * embedding * Float.BYTES;
        }
    }

    private PolicyStage(EnvSpec spec, ModelConfig config, int stage, int stages, Device device) {
        if (config.kind() != ModelKind.TRANSFORMER) {
            throw new IllegalArgumentException("pipeline stages split a transformer's blocks; troupe.model.kind = "
                    + config.kind().label() + " has none");
        }
        if (stages < 2 || stages > config.layers()) {
            throw new IllegalArgumentException("a pipeline of " + stages + " stages: expected 2..troupe.model.layers ("
                    + config.layers() + ")");
        }
        if (stage < 0 || stage >= stages) {
            throw new IllegalArgumentException("stage " + stage + " of a pipeline of " + stages + " stages: expected "
                    + "0.." + (stages - 1));
        }
        if (!(spec.actionSpace() instanceof Discrete d)) {
            throw new IllegalArgumentException("env " + spec.id() + " has action space "
                    + spec.actionSpace().describe() + "; Troupe's policies support Discrete action spaces so far");
        }
        this.spec = spec;
        this.config = config;
        this.stage = stage;
        this.stages = stages;
        this.device = device;
        this.modalities = ObservationBatch.modalitiesOf(spec.observationSpace());
        this.ablated = PolicyModel.ablatedModalities(spec, modalities, config.ablate());
        this.modelId = PolicyModel.idOf(spec, config, modalities, d.n());
        this.manager = NDManager.newBaseManager(device);
        this.block = new TransformerPolicyBlock(spec.observationSpace(), d.n(), config);
        SeededInit.allocateWithoutDrawing(block); // the values come from the weights: allocate zeros, draw nothing
        block.initializeStage(manager, DataType.FLOAT32, stage, stages);
        this.store = new ParameterStore(manager, false);
        this.held = block.stageParameters(stage);
    }

    /** Stage {@code stage} of the transformer of {@code config} for {@code spec} split into {@code stages}. */
    public static PolicyStage create(EnvSpec spec, ModelConfig config, int stage, int stages, Device device) {
        return new PolicyStage(spec, config, stage, stages, device);
    }

    /** The whole model's id: the weights a stage loads are the unsplit model's. */
    public String modelId() {
        return modelId;
    }

    public EnvSpec spec() {
        return spec;
    }

    public ModelConfig config() {
        return config;
    }

    public int stage() {
        return stage;
    }

    public int stages() {
        return stages;
    }

    public boolean isFirst() {
        return stage == 0;
    }

    public boolean isLast() {
        return stage == stages - 1;
    }

    /** Tokens of the activations between stages (the summary token and every modality's tokens). */
    public int tokens() {
        return block.sequenceLength();
    }

    /** The parameters this stage holds, in the whole model's parameter order. */
    public List<Pair<String, Parameter>> parameters() {
        return held;
    }

    /** Scalar parameters this stage holds. */
    public long parameterCount() {
        long n = 0;
        for (Pair<String, Parameter> p : held) {
            n += p.getValue().getArray().size();
        }
        return n;
    }

    /**
     * Loads this stage's slice of {@code weights} (the whole model's, as a checkpoint or the learner has them);
     * weights of another architecture are refused naming the parameter that differs.
     */
    public void load(PolicyWeights weights) {
        GradMode.off();
        WeightsCodec.decode(weights.bytes(), modelId, block.getParameters().stream().toList(), held);
    }

    /** Stage 0: the observations through the tokenizers and this stage's blocks. */
    public Activations forward(ObservationBatch observations) {
        require(isFirst() && !isLast(), "takes observations", "stage 0");
        GradMode.off();
        try (NDManager scope = manager.newSubManager()) {
            NDList in = PolicyModel.inputs(scope, observations, null, modalities, ablated, device, null);
            return activations(block.forwardStage(store, stage, in, false).singletonOrThrow());
        }
    }

    /** A middle stage: the previous stage's activations through this stage's blocks. */
    public Activations forward(Activations previous) {
        require(!isFirst() && !isLast(), "passes activations on", "a middle stage");
        GradMode.off();
        try (NDManager scope = manager.newSubManager()) {
            return activations(block.forwardStage(store, stage, input(scope, previous), false).singletonOrThrow());
        }
    }

    /** The last stage: the previous stage's activations through its blocks, the norm and the heads. */
    public PolicyModel.Output output(Activations previous) {
        require(isLast() && !isFirst(), "gives logits and values", "the last stage");
        GradMode.off();
        try (NDManager scope = manager.newSubManager()) {
            NDList out = block.forwardStage(store, stage, input(scope, previous), false);
            return new PolicyModel.Output(out.get(0).toFloatArray(), out.get(1).toFloatArray());
        }
    }

    private void require(boolean ok, String what, String who) {
        if (!ok) {
            throw new IllegalStateException("stage " + stage + " of " + stages + " is called as if it were " + who
                    + ", which " + what);
        }
    }

    private NDList input(NDManager scope, Activations a) {
        if (a.tokens() != tokens() || a.embedding() != config.embedding()) {
            throw new IllegalArgumentException("stage " + stage + " of model " + modelId + " takes activations of "
                    + tokens() + " tokens x " + config.embedding() + ", got " + a.tokens() + " x " + a.embedding());
        }
        return new NDList(scope.create(a.values(), new Shape(a.rows(), a.tokens(), a.embedding())));
    }

    private static Activations activations(NDArray h) {
        long[] s = h.getShape().getShape();
        return new Activations((int) s[0], (int) s[1], (int) s[2], h.toFloatArray());
    }

    @Override
    public void close() {
        manager.close();
    }
}
