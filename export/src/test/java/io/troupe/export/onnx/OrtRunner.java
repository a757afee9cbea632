package io.troupe.export.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.troupe.core.ObservationBatch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An exported graph in ONNX Runtime with every graph optimization on, fed straight from an {@link ObservationBatch}
 * (uint8 images as uint8, int32 token ids widened to int64, float vectors as they are): the tests' second backend.
 */
final class OrtRunner implements AutoCloseable {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private final OrtSession session;

    OrtRunner(byte[] model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(1);
            this.session = ENV.createSession(model, options);
        }
    }

    OrtSession session() {
        return session;
    }

    /** Logits (row-major, rows x actions) and values of every row of {@code obs}. */
    float[][] run(ObservationBatch obs) throws OrtException {
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            for (int m = 0; m < obs.modalities().size(); m++) {
                ObservationBatch.Modality mod = obs.modalities().get(m);
                long[] shape = new long[mod.shape().length + 1];
                shape[0] = obs.rows();
                for (int i = 0; i < mod.shape().length; i++) {
                    shape[i + 1] = mod.shape()[i];
                }
                int n = obs.rows() * mod.elements();
                OnnxTensor t = switch (mod.dtype()) {
                    case FLOAT32 -> OnnxTensor.createTensor(ENV, FloatBuffer.wrap(obs.floats(m), 0, n), shape);
                    case UINT8 -> OnnxTensor.createTensor(ENV, ByteBuffer.wrap(obs.bytes(m), 0, n), shape,
                            OnnxJavaType.UINT8);
                    case INT32 -> {
                        long[] ids = new long[n];
                        int[] src = obs.ints(m);
                        for (int i = 0; i < n; i++) {
                            ids[i] = src[i];
                        }
                        yield OnnxTensor.createTensor(ENV, LongBuffer.wrap(ids), shape);
                    }
                };
                inputs.put(mod.name(), t);
            }
            try (OrtSession.Result r = session.run(inputs)) {
                float[][] logits = (float[][]) r.get("logits").orElseThrow().getValue();
                float[] values = (float[]) r.get("value").orElseThrow().getValue();
                int actions = logits.length == 0 ? 0 : logits[0].length;
                float[] flat = new float[logits.length * actions];
                for (int i = 0; i < logits.length; i++) {
                    System.arraycopy(logits[i], 0, flat, i * actions, actions);
                }
                return new float[][] {flat, values};
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
