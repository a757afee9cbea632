package io.troupe.edge;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.edge.contract.PolicyContract;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A policy exported to ONNX, evaluated by ONNX Runtime: the second inference backend, with no DJL and no PyTorch. The
 * graph's inputs are the modalities of {@code policy.json}'s observation space (float32 vectors, uint8 NCHW images,
 * int64 token ids: the int32 ids of an {@link ObservationBatch} are widened here); its outputs {@code logits} and
 * {@code value}. The session runs with every graph optimization on and {@code intraOpThreads} intra-op threads.
 * The weights are part of the graph, so {@link #load(PolicyWeights)} refuses. Not thread-safe (like every
 * {@link Policy}); close it to release the native session.
 *
 * <p>A batch's inputs are copied into direct buffers the policy keeps (one per modality, grown to the largest batch
 * seen), which ONNX Runtime reads in place: given heap arrays it would allocate a direct buffer per input per batch
 * and copy into that, each with a cleaner for the collector to process.
 */
public final class OnnxPolicy implements Policy {
    private final Path modelFile;
    private final PolicyContract contract;
    private final List<ObservationBatch.Modality> modalities;
    private final int actions;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    /** Per modality, the direct buffer a batch's input is staged in; null until the first batch. */
    private final ByteBuffer[] staging;
    private boolean closed;

    private OnnxPolicy(Path modelFile, PolicyContract contract, OrtEnvironment env, OrtSession.SessionOptions options,
                       OrtSession session) {
        this.modelFile = modelFile;
        this.contract = contract;
        this.modalities = ObservationBatch.modalitiesOf(contract.observation());
        this.actions = contract.actions();
        this.env = env;
        this.options = options;
        this.session = session;
        this.staging = new ByteBuffer[modalities.size()];
    }

    /** The model {@code onnxFile} with the {@value PolicyContract#FILE} beside it, one intra-op thread. */
    public static OnnxPolicy load(Path onnxFile) {
        return load(onnxFile, 1);
    }

    /** The model {@code onnxFile} with the {@value PolicyContract#FILE} beside it. */
    public static OnnxPolicy load(Path onnxFile, int intraOpThreads) {
        Path dir = onnxFile.toAbsolutePath().getParent();
        return load(onnxFile, PolicyContract.read(dir.resolve(PolicyContract.FILE)), intraOpThreads);
    }

    /**
     * The model {@code onnxFile} under {@code contract}. A missing, corrupt or foreign file (inputs or outputs other
     * than the contract's) is an {@link IllegalArgumentException} naming the file and what was expected.
     */
    public static OnnxPolicy load(Path onnxFile, PolicyContract contract, int intraOpThreads) {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, got " + intraOpThreads);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(onnxFile);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("ONNX model " + onnxFile + " does not exist; expected the model written"
                    + " by ./troupe export", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("ONNX model " + onnxFile + " is unreadable: " + e.getMessage(), e);
        }
        OrtEnvironment env = environment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = null;
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            session = env.createSession(bytes, options);
            checkSignature(session, contract, onnxFile);
            return new OnnxPolicy(onnxFile, contract, env, options, session);
        } catch (OrtException e) {
            closeQuietly(session, options);
            throw new IllegalArgumentException("ONNX model " + onnxFile + " cannot be loaded by ONNX Runtime ("
                    + e.getMessage().strip() + "); expected an ONNX model exported by ./troupe export", e);
        } catch (RuntimeException e) {
            closeQuietly(session, options);
            throw e;
        }
    }

    /** ONNX Runtime's process-wide environment; an error says which platform's native library was missing. */
    private static OrtEnvironment environment() {
        try {
            return OrtEnvironment.getEnvironment();
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("ONNX Runtime's native library cannot be loaded on this platform ("
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + "): " + e.getMessage()
                    + "; export a bundle for this platform (--platform)", e);
        }
    }

    private static void checkSignature(OrtSession session, PolicyContract contract, Path file) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        List<String> expectedNames = contract.inputs().stream().map(PolicyContract.Input::name).toList();
        if (!List.copyOf(inputs.keySet()).equals(expectedNames)) {
            throw new IllegalArgumentException("ONNX model " + file + " has inputs " + inputs.keySet()
                    + "; its contract expects " + expectedNames
                    + " (is it the model the policy.json beside it was written for?)");
        }
        for (PolicyContract.Input in : contract.inputs()) {
            checkTensor(inputs.get(in.name()), in.name(), in.dtype(), in.shape(), file, "input");
        }
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        for (PolicyContract.Output out : contract.outputs()) {
            NodeInfo info = outputs.get(out.name());
            if (info == null) {
                throw new IllegalArgumentException("ONNX model " + file + " has outputs " + outputs.keySet()
                        + "; its contract expects " + PolicyContract.LOGITS + " and " + PolicyContract.VALUE);
            }
            checkTensor(info, out.name(), out.dtype(), out.shape(), file, "output");
        }
    }

    private static void checkTensor(NodeInfo info, String name, String dtype, long[] shape, Path file, String role) {
        String expected = dtype + Arrays.toString(shape);
        if (!(info.getInfo() instanceof TensorInfo t)) {
            throw new IllegalArgumentException("ONNX model " + file + ": " + role + " '" + name + "' is "
                    + info.getInfo() + "; its contract expects a tensor " + expected);
        }
        String found = label(t.type) + Arrays.toString(t.getShape());
        long[] actual = t.getShape();
        boolean shapeOk = actual.length == shape.length;
        for (int i = 0; shapeOk && i < shape.length; i++) {
            shapeOk = shape[i] < 0 ? actual[i] < 0 : actual[i] == shape[i];
        }
        if (!shapeOk || !label(t.type).equals(dtype)) {
            throw new IllegalArgumentException("ONNX model " + file + ": " + role + " '" + name + "' is " + found
                    + "; its contract expects " + expected + " (-1: any batch size)");
        }
    }

    private static String label(OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> "float32";
            case UINT8 -> "uint8";
            case INT64 -> "int64";
            case INT32 -> "int32";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }

    private static void closeQuietly(OrtSession session, OrtSession.SessionOptions options) {
        try {
            if (session != null) {
                session.close();
            }
        } catch (OrtException ignored) {
            // the session was never usable; nothing more to release
        }
        options.close();
    }

    /** The contract the model was loaded with. */
    public PolicyContract contract() {
        return contract;
    }

    /** The model file. */
    public Path modelFile() {
        return modelFile;
    }

    @Override
    public String modelId() {
        return contract.modelId();
    }

    @Override
    public Evaluation evaluate(ObservationBatch batch) {
        if (closed) {
            throw new IllegalStateException("ONNX policy " + modelFile + " is closed");
        }
        if (!batch.modalities().equals(modalities)) {
            throw new IllegalArgumentException("observation batch has modalities " + batch.modalities()
                    + "; the ONNX policy " + modelFile + " expects " + modalities);
        }
        int rows = batch.rows();
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            for (int m = 0; m < modalities.size(); m++) {
                ObservationBatch.Modality mod = modalities.get(m);
                long[] shape = new long[mod.shape().length + 1];
                shape[0] = rows;
                for (int d = 0; d < mod.shape().length; d++) {
                    shape[d + 1] = mod.shape()[d];
                }
                inputs.put(mod.name(), switch (mod.dtype()) {
                    case FLOAT32 -> {
                        float[] values = batch.floats(m);
                        FloatBuffer staged = staging(m, values.length * Float.BYTES).asFloatBuffer().put(values);
                        yield OnnxTensor.createTensor(env, staged.flip(), shape);
                    }
                    case UINT8 -> {
                        byte[] values = batch.bytes(m);
                        ByteBuffer staged = staging(m, values.length).put(values);
                        yield OnnxTensor.createTensor(env, staged.flip(), shape, OnnxJavaType.UINT8);
                    }
                    case INT32 -> {
                        int[] ids = batch.ints(m);
                        LongBuffer staged = staging(m, ids.length * Long.BYTES).asLongBuffer();
                        for (int id : ids) {
                            staged.put(id); // the graph takes int64 token ids
                        }
                        yield OnnxTensor.createTensor(env, staged.flip(), shape);
                    }
                });
            }
            try (OrtSession.Result result = session.run(inputs)) {
                float[] logits = floats(result, PolicyContract.LOGITS, (long) rows * actions);
                float[] values = floats(result, PolicyContract.VALUE, rows);
                return new Evaluation(logits, values, actions);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + modelFile + " for a batch of " + rows + ": "
                    + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Modality {@code m}'s staging buffer, cleared and limited to {@code bytes} (grown when a batch is larger). */
    private ByteBuffer staging(int m, int bytes) {
        ByteBuffer b = staging[m];
        if (b == null || b.capacity() < bytes) {
            int capacity = b == null ? bytes : Math.max(bytes, (int) Math.min(Integer.MAX_VALUE - 8L,
                    2L * b.capacity()));
            b = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
            staging[m] = b;
        }
        b.clear().limit(bytes);
        return b;
    }

    private float[] floats(OrtSession.Result result, String name, long expected) {
        OnnxValue value = result.get(name).orElseThrow(() -> new IllegalStateException("ONNX model " + modelFile
                + " gave no output '" + name + "'"));
        FloatBuffer buffer = ((OnnxTensor) value).getFloatBuffer();
        if (buffer.remaining() != expected) {
            throw new IllegalStateException("ONNX model " + modelFile + " gave " + buffer.remaining() + " values of '"
                    + name + "'; expected " + expected);
        }
        if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.array().length == expected) {
            return buffer.array(); // already a fresh copy of the output
        }
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    /** Always refuses: the weights are constants of the ONNX graph. */
    @Override
    public void load(PolicyWeights weights) {
        throw new IllegalArgumentException("an ONNX policy is fixed: its weights are part of " + modelFile
                + "; export the checkpoint of version " + weights.version() + " again to use them");
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(session, options);
    }
}
