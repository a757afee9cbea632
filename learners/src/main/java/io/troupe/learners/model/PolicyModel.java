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

    private PolicyModel(EnvSpec spec, ModelConfig config, long seed, Device device) {
        this.spec = spec;
        this.config = config;
        this.device = device;
        this.modalities = ObservationBatch.modalitiesOf(spec.observationSpace());
        if (!(spec.actionSpace() instanceof Discrete d)) {
            throw new IllegalArgumentException("env " + spec.id() + " has action space "
                    + spec.actionSpace().describe() + "; Troupe's policies support Discrete action spaces so far");
        }
        this.actions = d.n();
        this.ablated = ablatedModalities(spec, modalities, config.ablate());
        this.manager = NDManager.newBaseManager(device);
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
            SeededInit.allocateWithoutDrawing(t);
            t.initialize(manager, DataType.FLOAT32, inputShapes);
            t.seededInit(new SplittableRandom(seed));
            this.block = t;
        }
        this.store = new ParameterStore(manager, false);
        for (Pair<String, Parameter> p : block.getParameters()) {
            parameters.add(p);
        }
        this.modelId = spec.id() + "/" + config.describe() + "/" + modalities + "/a" + actions;
    }

    private static boolean[] ablatedModalities(EnvSpec spec, List<ObservationBatch.Modality> modalities,
                                               Ablation ablate) {
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
        return new PolicyModel(spec, config, seed, device);
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

    public Device device() {
        return device;
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
            NDArray a = switch (mod.dtype()) {
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

    /** Logits {@code (B, actions)} and values {@code (B)}. */
    public NDList forward(NDList inputs, boolean training) {
        return block.forward(store, inputs, training);
    }

    /** Logits (row-major, B x actions) and values of every row of {@code obs}, with no gradient. */
    public Output infer(ObservationBatch obs) {
        GradMode.off();
        try (NDManager scope = manager.newSubManager()) {
            NDList out = forward(inputs(scope, obs, null), false);
            return new Output(out.get(0).toFloatArray(), out.get(1).toFloatArray());
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
