package io.troupe.export.onnx;

import io.troupe.export.onnx.OnnxProto.Attribute;
import io.troupe.export.onnx.OnnxProto.Dim;
import io.troupe.export.onnx.OnnxProto.Graph;
import io.troupe.export.onnx.OnnxProto.Node;
import io.troupe.export.onnx.OnnxProto.Tensor;
import io.troupe.export.onnx.OnnxProto.ValueInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Builds an ONNX graph in order: inputs, initializers and nodes, each node's output a fresh value name, so the nodes
 * are topologically sorted by construction. A dimension of {@code -1} is the dynamic batch dimension
 * ({@value #BATCH}).
 */
final class GraphBuilder {
    static final String BATCH = "batch";

    private final List<Node> nodes = new ArrayList<>();
    private final List<Tensor> initializers = new ArrayList<>();
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<ValueInfo> outputs = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private int counter;

    /** A graph input; returns its name. */
    String input(String name, int elemType, long[] dims) {
        claim(name);
        inputs.add(new ValueInfo(name, elemType, dims(dims)));
        return name;
    }

    /** A float32 initializer holding {@code values} (row-major) of shape {@code dims}. */
    String weight(String name, float[] values, long... dims) {
        if (values.length != count(dims)) {
            throw new IllegalArgumentException("initializer " + name + ": " + values.length + " values for shape "
                    + Arrays.toString(dims));
        }
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return initializer(name, OnnxProto.FLOAT, dims, b.array());
    }

    /** A float32 scalar constant. */
    String scalar(String hint, float value) {
        return weight(fresh(hint), new float[] {value});
    }

    /** An int64 constant of shape {@code [values.length]} (a shape, axes, an index list). */
    String int64s(String hint, long... values) {
        return int64Tensor(hint, values, values.length);
    }

    /** An int64 scalar constant (a Gather index). */
    String int64Scalar(String hint, long value) {
        return int64Tensor(hint, new long[] {value});
    }

    private String int64Tensor(String hint, long[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return initializer(fresh(hint), OnnxProto.INT64, dims, b.array());
    }

    private String initializer(String name, int type, long[] dims, byte[] raw) {
        claim(name);
        initializers.add(new Tensor(name, type, dims, raw));
        return name;
    }

    /** A node of {@code opType} on {@code inputs}; returns its (single) output's name. */
    String op(String opType, List<Attribute> attributes, String... in) {
        String out = fresh(opType.toLowerCase(Locale.ROOT));
        claim(out);
        nodes.add(new Node(out, opType, List.of(in), List.of(out), attributes));
        return out;
    }

    String op(String opType, String... in) {
        return op(opType, List.of(), in);
    }

    /** Makes {@code value} the graph output {@code name} (through an Identity node when the names differ). */
    void output(String value, String name, int elemType, long[] dims) {
        String v = value;
        if (!value.equals(name)) {
            claim(name);
            nodes.add(new Node(name, "Identity", List.of(value), List.of(name), List.of()));
            v = name;
        }
        outputs.add(new ValueInfo(v, elemType, dims(dims)));
    }

    Graph build(String name) {
        return new Graph(name, List.copyOf(nodes), List.copyOf(initializers), List.copyOf(inputs),
                List.copyOf(outputs));
    }

    private String fresh(String hint) {
        String name;
        do {
            name = hint + "_" + counter++;
        } while (names.contains(name));
        return name;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalStateException("value name " + name + " used twice in the graph");
        }
    }

    private static List<Dim> dims(long[] dims) {
        List<Dim> out = new ArrayList<>();
        for (long d : dims) {
            out.add(d < 0 ? Dim.named(BATCH) : Dim.of(d));
        }
        return out;
    }

    private static long count(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }
}
