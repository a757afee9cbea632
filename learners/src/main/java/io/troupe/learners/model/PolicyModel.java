package io.troupe.learners.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A policy/value network for an env, built from its {@link EnvSpec} by {@link ModelConfig}: the transformer for any
 * observation space, or an MLP for vector observations. Owns its native memory (close it). Reads observations
 * straight from {@link ObservationBatch} arrays; weights leave it as {@link PolicyWeights} bytes. Not thread-safe.
 *
 * <p>A transformer can be split into pipeline stages ({@link #create(EnvSpec, ModelConfig, long, List)}), each stage's
 * parameters on its own device: inputs go to stage 0's {@link #device()}, outputs come from the last stage's
 * {@link #outputDevice()}, and {@link #forwardStage} runs one stage (what the pipeline schedule drives). The
 * parameters, their order, the weights and the model id are those of the unsplit model.
 */
public final class PolicyModel implements Policy {
    private final EnvSpec spec;
    private final ModelConfig config;
    private final NDManager manager;
    private final AbstractBlock block;
    private final ParameterStore store;
    private final List<ObservationBatch.Modality> modalities;
    /** Per modality: replaced by a constant ({@code troupe.model.ablate}). */
    private final boolean[] ablated;
    private final int actions;
    private final String modelId;
    private final Device device;
    private final List<Pair<String, Parameter>> parameters = new ArrayList<>();
    /** One device, manager and parameter store per pipeline stage (one each for an unsplit model). */
    private final List<Device> stageDevices;
    private final List<NDManager> stageManagers = new ArrayList<>();
    private final List<ParameterStore> stageStores = new ArrayList<>();

    private PolicyModel(EnvSpec spec, ModelConfig config, long seed, List<Device> stageDevices) {
        if (stageDevices.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one device");
        }
        this.spec = spec;
        this.config = config;
        this.stageDevices = List.copyOf(stageDevices);
        this.device = stageDevices.get(0);
        this.modalities = ObservationBatch.modalitiesOf(spec.observationSpace());
        if (!(spec.actionSpace() instanceof Discrete d)) {
            throw new IllegalArgumentException("env " + spec.id() + " has action space "
                    + spec.actionSpace().describe() + "; Troupe's policies support Discrete action spaces so far");
        }
        this.actions = d.n();
        this.ablated = ablatedModalities(spec, modalities, config.ablate());
        this.manager = NDManager.newBaseManager(device);
        stageManagers.add(manager);
        for (int k = 1; k < stageDevices.size(); k++) {
            stageManagers.add(manager.newSubManager(stageDevices.get(k)));
        }
        if (stageDevices.size() > 1 && config.kind() != ModelKind.TRANSFORMER) {
            throw new IllegalArgumentException("troupe.model.parallel.pipeline-stages = " + stageDevices.size()
                    + " splits a transformer's blocks; troupe.model.kind = " + config.kind().label() + " has none");
        }
        // parameters come from the seed's own Java stream, never from PyTorch's process-wide generator (which other
        // threads' models share): initialize() only allocates, the seeded init writes the values
        Shape[] inputShapes = modalities.stream().map(m -> {
            long[] dims = new long[m.shape().length + 1];
            dims[0] = 1;
            for (int i = 0; i < m.shape().length; i++) {
                dims[i + 1] = m.shape()[i];
            }
            return new Shape(dims);
        }).toArray(Shape[]::new);
        if (config.kind() == ModelKind.MLP) {
            Space obs = spec.observationSpace();
            if (!(obs instanceof Box b) || b.shape().length != 1 || b.dtype() != DType.FLOAT32) {
                throw new IllegalArgumentException("troupe.model.kind = mlp takes a 1-D float32 observation, but "
                        + spec.id() + " observes " + obs.describe() + "; use kind = transformer");
            }
            MlpPolicyBlock mlp = new MlpPolicyBlock(b.size(), actions, config.mlpHidden());
            SeededInit.allocateWithoutDrawing(mlp);
            mlp.initialize(manager, DataType.FLOAT32, inputShapes);
            mlp.orthogonalInit(seed);
            this.block = mlp;
        } else {
            TransformerPolicyBlock t = new TransformerPolicyBlock(spec.observationSpace(), actions, config);
            t.placeStages(stageManagers);
            SeededInit.allocateWithoutDrawing(t);
            t.initialize(manager, DataType.FLOAT32, inputShapes);
            t.seededInit(new SplittableRandom(seed));
            this.block = t;
        }
        this.store = new ParameterStore(manager, false);
        stageStores.add(store);
        for (int k = 1; k < stageManagers.size(); k++) {
            stageStores.add(new ParameterStore(stageManagers.get(k), false)); // a store serves its manager's device
        }
        for (Pair<String, Parameter> p : block.getParameters()) {
            parameters.add(p);
        }
        this.modelId = idOf(spec, config, modalities, actions);
    }

    /** The architecture id of a model of {@code config} for {@code spec}: what weights are checked against. */
    static String idOf(EnvSpec spec, ModelConfig config, List<ObservationBatch.Modality> modalities, int actions) {
        return spec.id() + "/" + config.describe() + "/" + modalities + "/a" + actions;
    }

    static boolean[] ablatedModalities(EnvSpec spec, List<ObservationBatch.Modality> modalities, Ablation ablate) {
        boolean[] out = new boolean[modalities.size()];
        boolean any = false;
        for (int m = 0; m < out.length; m++) {
            ObservationBatch.Modality mod = modalities.get(m);
            Space sub = spec.observationSpace() instanceof Dict dict ? dict.spaces().get(mod.name())
                    : spec.observationSpace();
            out[m] = switch (ablate) {
                case NONE -> false;
                case TEXT -> sub instanceof Text;
                case IMAGE -> mod.dtype() == DType.UINT8 && mod.shape().length == 3;
            };
            any |= out[m];
        }
        if (ablate != Ablation.NONE && !any) {
            throw new IllegalArgumentException("troupe.model.ablate = " + ablate.label() + ", but env " + spec.id()
                    + " observes " + spec.observationSpace().describe() + ": no " + (ablate == Ablation.TEXT
                    ? "Text modality" : "uint8 [C, H, W] image") + " to replace; use none");
        }
        return out;
    }

    /**
     * A new model with parameters drawn from {@code seed} (all 64 bits) through a Java random stream: the same seed
     * gives the same parameters whatever other threads do, and building leaves PyTorch's generator untouched.
     */
    public static PolicyModel create(EnvSpec spec, ModelConfig config, long seed, Device device) {
        return new PolicyModel(spec, config, seed, List.of(device));
    }

    /**
     * The same model (same seed, same parameters) split into {@code stageDevices.size()} pipeline stages, stage k's
     * parameters on {@code stageDevices.get(k)} (a device may repeat: stages on one CPU, as the tests run them).
     */
    public static PolicyModel create(EnvSpec spec, ModelConfig config, long seed, List<Device> stageDevices) {
        return new PolicyModel(spec, config, seed, stageDevices);
    }

    @Override
    public String modelId() {
        return modelId;
    }

    public EnvSpec spec() {
        return spec;
    }

    public ModelConfig config() {
        return config;
    }

    public int actions() {
        return actions;
    }

    /** Where inputs go: stage 0's device (the only one of an unsplit model). */
    public Device device() {
        return device;
    }

    /** Where the logits and values come out: the last stage's device. */
    public Device outputDevice() {
        return stageDevices.get(stageDevices.size() - 1);
    }

    /** Pipeline stages (1: unsplit). */
    public int stages() {
        return stageDevices.size();
    }

    /** The device of every stage, in order. */
    public List<Device> stageDevices() {
        return stageDevices;
    }

    /** The manager that owns stage {@code k}'s parameters (on its device). */
    public NDManager stageManager(int k) {
        return stageManagers.get(k);
    }

    /** The parameters stage {@code k} holds, in parameter order (all of them for an unsplit model). */
    public List<Pair<String, Parameter>> stageParameters(int k) {
        if (stages() == 1) {
            return parameters;
        }
        return ((TransformerPolicyBlock) block).stageParameters(k);
    }

    public NDManager manager() {
        return manager;
    }

    public List<Pair<String, Parameter>> parameters() {
        return parameters;
    }

    /** Every parameter's values, in parameter order, in one array (for comparing models; copies to the heap). */
    public float[] flatParameters() {
        float[] out = new float[(int) parameterCount()];
        int o = 0;
        for (Pair<String, Parameter> p : parameters()) {
            float[] a = p.getValue().getArray().toFloatArray();
            System.arraycopy(a, 0, out, o, a.length);
            o += a.length;
        }
        return out;
    }

    /** Number of scalar parameters. */
    public long parameterCount() {
        long n = 0;
        for (Pair<String, Parameter> p : parameters()) {
            n += p.getValue().getArray().size();
        }
        return n;
    }

    /**
     * The network's inputs for {@code rows} of {@code obs} (all rows when null), one array per modality; an ablated
     * modality ({@code troupe.model.ablate}) is all zeros (token id 0 is {@code <pad>}). Every path from observations
     * to the network (acting, PPO, IMPALA, distillation, evaluation) goes through here.
     */
    public NDList inputs(NDManager scope, ObservationBatch obs, int[] rows) {
        return inputs(scope, obs, rows, modalities, ablated, device, null);
    }

    /**
     * {@link #inputs(NDManager, ObservationBatch, int[])} for a model of {@code modalities} on {@code device}; with
     * {@code staging} (all rows only), the arrays alias its buffers and must be closed before it is used again.
     */
    static NDList inputs(NDManager scope, ObservationBatch obs, int[] rows, List<ObservationBatch.Modality> modalities,
                         boolean[] ablated, Device device, InputStaging staging) {
        if (staging != null && rows != null) {
            throw new IllegalArgumentException("staged inputs take all rows");
        }
        int n = rows == null ? obs.rows() : rows.length;
        NDList list = new NDList(modalities.size());
        for (int m = 0; m < modalities.size(); m++) {
            ObservationBatch.Modality mod = modalities.get(m);
            int e = mod.elements();
            long[] dims = new long[mod.shape().length + 1];
            dims[0] = n;
            for (int i = 0; i < mod.shape().length; i++) {
                dims[i + 1] = mod.shape()[i];
            }
            Shape shape = new Shape(dims);
            if (ablated[m]) {
                list.add(scope.zeros(shape, mod.dtype() == DType.INT32 ? DataType.INT32 : DataType.FLOAT32, device));
                continue;
            }
            NDArray a = staging != null ? switch (mod.dtype()) {
                case FLOAT32 -> staging.floats(scope, m, obs.floats(m), n * e, shape);
                case INT32 -> staging.ints(scope, m, obs.ints(m), n * e, shape);
                case UINT8 -> staging.bytes(scope, m, obs.bytes(m), n * e, shape).toType(DataType.FLOAT32, false);
            } : switch (mod.dtype()) {
                case FLOAT32 -> scope.create(gather(obs.floats(m), e, rows, n), shape);
                case INT32 -> scope.create(gather(obs.ints(m), e, rows, n), shape);
                case UINT8 -> scope.create(ByteBuffer.wrap(gather(obs.bytes(m), e, rows, n)), shape, DataType.UINT8)
                        .toType(DataType.FLOAT32, false);
            };
            list.add(a.toDevice(device, false));
        }
        return list;
    }

    private static float[] gather(float[] src, int e, int[] rows, int n) {
        if (rows == null) {
            return src.length == n * e ? src : Arrays.copyOf(src, n * e);
        }
        float[] out = new float[n * e];
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, rows[i] * e, out, i * e, e);
        }
        return out;
    }

    private static int[] gather(int[] src, int e, int[] rows, int n) {
        if (rows == null) {
            return src.length == n * e ? src : Arrays.copyOf(src, n * e);
        }
        int[] out = new int[n * e];
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, rows[i] * e, out, i * e, e);
        }
        return out;
    }

    private static byte[] gather(byte[] src, int e, int[] rows, int n) {
        if (rows == null) {
            return src.length == n * e ? src : Arrays.copyOf(src, n * e);
        }
        byte[] out = new byte[n * e];
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, rows[i] * e, out, i * e, e);
        }
        return out;
    }

    /**
     * Logits {@code (B, actions)} and values {@code (B)} (on {@link #outputDevice()}). A split model runs its stages
     * one after the other, moving the activations to each stage's device (differentiable: one backward reaches every
     * stage).
     */
    public NDList forward(NDList inputs, boolean training) {
        if (stages() == 1) {
            return block.forward(store, inputs, training);
        }
        NDList x = inputs;
        for (int k = 0; k < stages(); k++) {
            x = forwardStage(k, k == 0 ? x : new NDList(x.singletonOrThrow().toDevice(stageDevices.get(k), false)),
                    training);
        }
        return x;
    }

    /**
     * Runs stage {@code k} alone: stage 0 takes the inputs, a later stage the activations {@code (B, tokens,
     * embedding)} of the stage before, on its own device; the last stage returns logits and values, every other stage
     * its activations. An unsplit model's one stage is {@link #forward}.
     */
    public NDList forwardStage(int k, NDList inputs, boolean training) {
        if (stages() == 1) {
            return forward(inputs, training);
        }
        return ((TransformerPolicyBlock) block).forwardStage(stageStores.get(k), k, inputs, training);
    }

    /** Logits (row-major, B x actions) and values of every row of {@code obs}, with no gradient. */
    public Output infer(ObservationBatch obs) {
        GradMode.off();
        try (NDManager scope = manager.newSubManager()) {
            NDList out = forward(inputs(scope, obs, null, modalities, ablated, device,
                    InputStaging.ofThisThread()), false);
            return new Output(out.get(0).toFloatArray(), out.get(1).toFloatArray());
        }
    }

    /**
     * A transformer's residual-stream channel activations over {@code obs}: per channel of
     * {@code troupe.model.embedding}, the mean absolute output of every LayerNorm, summed (width pruning's ranking).
     * Anything but an unsplit transformer is an error naming it.
     */
    public double[] channelActivations(ObservationBatch obs) {
        if (!(block instanceof TransformerPolicyBlock t) || stages() != 1) {
            throw new IllegalArgumentException("channel activations need an unsplit transformer, not "
                    + config.describe() + " in " + stages() + " stage(s)");
        }
        GradMode.off();
        try (NDManager scope = manager.newSubManager()) {
            return t.channelActivations(store, inputs(scope, obs, null));
        }
    }

    /** Logits (B x actions, row-major) and values (B). */
    public record Output(float[] logits, float[] values) {
    }

    @Override
    public Evaluation evaluate(ObservationBatch observations) {
        Output o = infer(observations);
        return new Evaluation(o.logits(), o.values(), actions);
    }

    public PolicyWeights weights(long version) {
        return new PolicyWeights(modelId, version, WeightsCodec.encode(modelId, parameters()));
    }

    /** Loads weights of the same architecture; otherwise an error naming the parameter that differs. */
    @Override
    public void load(PolicyWeights weights) {
        GradMode.off();
        WeightsCodec.decode(weights.bytes(), modelId, parameters());
    }

    @Override
    public void close() {
        manager.close();
    }
}
