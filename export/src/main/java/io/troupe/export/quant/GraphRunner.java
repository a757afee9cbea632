package io.troupe.export.quant;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import io.troupe.core.ObservationBatch;
import io.troupe.export.onnx.OnnxProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One ONNX Runtime session over a graph in memory, fed with observation batches as {@code OnnxPolicy} feeds them
 * (float32 vectors, uint8 images, int32 token ids widened to int64), returning the float outputs asked for by name:
 * the calibration pass reads intermediate values through it, the sensitivity pass the logits and value.
 */
final class GraphRunner implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    private final OrtSession session;

    GraphRunner(byte[] model, boolean optimize) {
        try {
            options.setOptimizationLevel(optimize ? OrtSession.SessionOptions.OptLevel.ALL_OPT
                    : OrtSession.SessionOptions.OptLevel.NO_OPT);
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            session = env.createSession(model, options);
        } catch (OrtException e) {
            options.close();
            throw new IllegalStateException("ONNX Runtime refused the graph being quantized: " + e.getMessage(), e);
        }
    }

    /**
     * The operators ONNX Runtime runs {@code model} with after its graph optimizations (all on, as {@code OnnxPolicy}
     * loads a model), counted by type: which int8 kernels it fused the QDQ pairs into. Written to a temporary file by
     * ONNX Runtime ({@code SessionOptions.setOptimizedModelFilePath}) and read back.
     */
    static Map<String, Integer> optimizedOps(byte[] model) {
        Path file = null;
        try {
            file = Files.createTempFile("troupe-optimized", ".onnx");
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.setIntraOpNumThreads(1);
                options.setOptimizedModelFilePath(file.toString());
                // ONNX Runtime warns that a model saved after all optimizations is specific to this machine: known
                options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
                OrtEnvironment.getEnvironment().createSession(model, options).close();
            }
            Map<String, Integer> ops = new TreeMap<>();
            for (OnnxProto.Node n : OnnxProto.Model.parse(Files.readAllBytes(file)).graph().nodes()) {
                ops.merge(n.opType(), 1, Integer::sum);
            }
            return ops;
        } catch (OrtException | IOException e) {
            throw new IllegalStateException("ONNX Runtime could not optimize the quantized graph: " + e.getMessage(),
                    e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
    }

    /** The values of {@code outputs} for {@code batch}, each flattened. */
    Map<String, float[]> run(ObservationBatch batch, Set<String> outputs) {
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            List<ObservationBatch.Modality> mods = batch.modalities();
            for (int m = 0; m < mods.size(); m++) {
                ObservationBatch.Modality mod = mods.get(m);
                long[] shape = new long[mod.shape().length + 1];
                shape[0] = batch.rows();
                for (int d = 0; d < mod.shape().length; d++) {
                    shape[d + 1] = mod.shape()[d];
                }
                inputs.put(mod.name(), switch (mod.dtype()) {
                    case FLOAT32 -> OnnxTensor.createTensor(env, FloatBuffer.wrap(batch.floats(m)), shape);
                    case UINT8 -> OnnxTensor.createTensor(env, ByteBuffer.wrap(batch.bytes(m)), shape,
                            OnnxJavaType.UINT8);
                    case INT32 -> OnnxTensor.createTensor(env, LongBuffer.wrap(widen(batch.ints(m))), shape);
                });
            }
            try (OrtSession.Result result = session.run(inputs, outputs)) {
                Map<String, float[]> out = new LinkedHashMap<>();
                for (String name : outputs) {
                    OnnxValue v = result.get(name).orElseThrow();
                    FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
                    float[] a = new float[fb.remaining()];
                    fb.get(a);
                    out.put(name, a);
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on the graph being quantized: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static long[] widen(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    /** {@code batches} regrouped into batches of at most {@code rows} rows (the last may be smaller). */
    static List<ObservationBatch> regroup(List<ObservationBatch> batches, int rows) {
        List<ObservationBatch> out = new ArrayList<>();
        long total = batches.stream().mapToLong(ObservationBatch::rows).sum();
        int bi = 0;
        int ri = 0;
        for (long done = 0; done < total; ) {
            int n = (int) Math.min(rows, total - done);
            ObservationBatch b = allocate(batches.get(0).modalities(), n);
            for (int r = 0; r < n; r++) {
                while (ri >= batches.get(bi).rows()) {
                    bi++;
                    ri = 0;
                }
                batches.get(bi).copyRow(ri++, b, r);
            }
            out.add(b);
            done += n;
        }
        return out;
    }

    static ObservationBatch allocate(List<ObservationBatch.Modality> modalities, int rows) {
        return ObservationBatch.zeros(rows, modalities);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException ignored) {
            // nothing more to release
        }
        options.close();
    }
}
