package io.troupe.export.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's parameters by their DJL names, copied to the heap once. The graph builders take each parameter they know
 * by name and shape; {@link #requireAllTaken} then refuses a model with a parameter no builder took (a layer the
 * exporter does not know), so a graph never silently drops part of a policy.
 */
final class ParameterTable {
    private record Value(long[] shape, float[] values) {
    }

    private final String modelId;
    private final Map<String, Value> values = new LinkedHashMap<>();
    private final Map<String, Boolean> taken = new LinkedHashMap<>();

    ParameterTable(String modelId, List<Pair<String, Parameter>> parameters) {
        this.modelId = modelId;
        for (Pair<String, Parameter> p : parameters) {
            NDArray a = p.getValue().getArray();
            values.put(p.getKey(), new Value(a.getShape().getShape(), a.toFloatArray()));
            taken.put(p.getKey(), false);
        }
    }

    /** The values of parameter {@code name}, which must have shape {@code shape}. */
    float[] take(String name, long... shape) {
        Value v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("model " + modelId + " has no parameter " + name
                    + " where the ONNX exporter expects one of shape " + Arrays.toString(shape)
                    + "; its parameters are " + values.keySet());
        }
        if (!Arrays.equals(v.shape(), shape)) {
            throw new IllegalArgumentException("model " + modelId + ": parameter " + name + " has shape "
                    + Arrays.toString(v.shape()) + " but the ONNX exporter expects " + Arrays.toString(shape));
        }
        taken.put(name, true);
        return v.values();
    }

    /** A {@code rows x cols} parameter transposed ({@code cols x rows}, row-major). */
    float[] takeTransposed(String name, int rows, int cols) {
        float[] w = take(name, rows, cols);
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = w[r * cols + c];
            }
        }
        return t;
    }

    /** Refuses parameters no graph builder took: layers the exporter does not know. */
    void requireAllTaken() {
        for (Map.Entry<String, Boolean> e : taken.entrySet()) {
            if (!e.getValue()) {
                throw new IllegalArgumentException("model " + modelId + " has a layer the ONNX exporter does not "
                        + "know: parameter " + e.getKey() + " of shape " + Arrays.toString(values.get(e.getKey())
                        .shape()));
            }
        }
    }
}
