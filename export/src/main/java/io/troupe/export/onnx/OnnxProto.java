package io.troupe.export.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of the ONNX format Troupe writes, as plain records that write and read the protobuf wire format with
 * protobuf-java's coded streams. Field numbers are those ONNX publishes for its messages ({@code onnx.proto}, proto2:
 * repeated numbers are written unpacked; the reader accepts both forms). Fields Troupe does not use are skipped when
 * reading. Records that hold arrays compare by identity: keep them out of sets and maps.
 */
public final class OnnxProto {
    /** {@code TensorProto.DataType} codes. */
    public static final int FLOAT = 1;
    public static final int UINT8 = 2;
    public static final int INT8 = 3;
    public static final int INT32 = 6;
    public static final int INT64 = 7;

    /** {@code AttributeProto.AttributeType} codes. */
    public static final int ATTR_FLOAT = 1;
    public static final int ATTR_INT = 2;
    public static final int ATTR_STRING = 3;
    public static final int ATTR_TENSOR = 4;
    public static final int ATTR_FLOATS = 6;
    public static final int ATTR_INTS = 7;

    private OnnxProto() {
    }

    /** {@code ModelProto}. */
    public record Model(long irVersion, List<OpsetId> opsets, String producerName, String producerVersion,
                        String docString, Graph graph, List<Entry> metadata) {
        private static final int IR_VERSION = 1;
        private static final int PRODUCER_NAME = 2;
        private static final int PRODUCER_VERSION = 3;
        private static final int DOC_STRING = 6;
        private static final int GRAPH = 7;
        private static final int OPSET_IMPORT = 8;
        private static final int METADATA_PROPS = 14;

        public byte[] toBytes() {
            return encode(out -> {
                out.writeInt64(IR_VERSION, irVersion);
                writeString(out, PRODUCER_NAME, producerName);
                writeString(out, PRODUCER_VERSION, producerVersion);
                writeString(out, DOC_STRING, docString);
                out.writeByteArray(GRAPH, graph.toBytes());
                for (OpsetId o : opsets) {
                    out.writeByteArray(OPSET_IMPORT, o.toBytes());
                }
                for (Entry e : metadata) {
                    out.writeByteArray(METADATA_PROPS, e.toBytes());
                }
            });
        }

        /** Parses a model; an {@link IllegalArgumentException} when the bytes are not a protobuf message. */
        public static Model parse(byte[] bytes) {
            long ir = 0;
            List<OpsetId> opsets = new ArrayList<>();
            String producer = "";
            String producerVersion = "";
            String doc = "";
            Graph graph = null;
            List<Entry> metadata = new ArrayList<>();
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            try {
                for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                    switch (WireFormat.getTagFieldNumber(tag)) {
                        case IR_VERSION -> ir = in.readInt64();
                        case PRODUCER_NAME -> producer = in.readStringRequireUtf8();
                        case PRODUCER_VERSION -> producerVersion = in.readStringRequireUtf8();
                        case DOC_STRING -> doc = in.readStringRequireUtf8();
                        case GRAPH -> graph = Graph.parse(in.readByteArray());
                        case OPSET_IMPORT -> opsets.add(OpsetId.parse(in.readByteArray()));
                        case METADATA_PROPS -> metadata.add(Entry.parse(in.readByteArray()));
                        default -> in.skipField(tag);
                    }
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
            }
            if (graph == null) {
                throw new IllegalArgumentException("not an ONNX model: it has no graph");
            }
            return new Model(ir, opsets, producer, producerVersion, doc, graph, metadata);
        }

        /** The metadata value of {@code key}, or null. */
        public String metadata(String key) {
            for (Entry e : metadata) {
                if (e.key().equals(key)) {
                    return e.value();
                }
            }
            return null;
        }
    }

    /** {@code OperatorSetIdProto}: an operator set and its version ({@code ""} is the default ONNX domain). */
    public record OpsetId(String domain, long version) {
        private static final int DOMAIN = 1;
        private static final int VERSION = 2;

        byte[] toBytes() {
            return encode(out -> {
                writeString(out, DOMAIN, domain);
                out.writeInt64(VERSION, version);
            });
        }

        static OpsetId parse(byte[] bytes) throws IOException {
            String domain = "";
            long version = 0;
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case DOMAIN -> domain = in.readStringRequireUtf8();
                    case VERSION -> version = in.readInt64();
                    default -> in.skipField(tag);
                }
            }
            return new OpsetId(domain, version);
        }
    }

    /** {@code StringStringEntryProto}: one metadata property. */
    public record Entry(String key, String value) {
        private static final int KEY = 1;
        private static final int VALUE = 2;

        byte[] toBytes() {
            return encode(out -> {
                writeString(out, KEY, key);
                writeString(out, VALUE, value);
            });
        }

        static Entry parse(byte[] bytes) throws IOException {
            String key = "";
            String value = "";
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case KEY -> key = in.readStringRequireUtf8();
                    case VALUE -> value = in.readStringRequireUtf8();
                    default -> in.skipField(tag);
                }
            }
            return new Entry(key, value);
        }
    }

    /** {@code GraphProto}: nodes in topological order, initializers (weights), inputs and outputs. */
    public record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs,
                        List<ValueInfo> outputs) {
        private static final int NODE = 1;
        private static final int NAME = 2;
        private static final int INITIALIZER = 5;
        private static final int INPUT = 11;
        private static final int OUTPUT = 12;

        byte[] toBytes() {
            return encode(out -> {
                for (Node n : nodes) {
                    out.writeByteArray(NODE, n.toBytes());
                }
                writeString(out, NAME, name);
                for (Tensor t : initializers) {
                    out.writeByteArray(INITIALIZER, t.toBytes());
                }
                for (ValueInfo v : inputs) {
                    out.writeByteArray(INPUT, v.toBytes());
                }
                for (ValueInfo v : outputs) {
                    out.writeByteArray(OUTPUT, v.toBytes());
                }
            });
        }

        static Graph parse(byte[] bytes) throws IOException {
            String name = "";
            List<Node> nodes = new ArrayList<>();
            List<Tensor> initializers = new ArrayList<>();
            List<ValueInfo> inputs = new ArrayList<>();
            List<ValueInfo> outputs = new ArrayList<>();
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case NODE -> nodes.add(Node.parse(in.readByteArray()));
                    case NAME -> name = in.readStringRequireUtf8();
                    case INITIALIZER -> initializers.add(Tensor.parse(in.readByteArray()));
                    case INPUT -> inputs.add(ValueInfo.parse(in.readByteArray()));
                    case OUTPUT -> outputs.add(ValueInfo.parse(in.readByteArray()));
                    default -> in.skipField(tag);
                }
            }
            return new Graph(name, nodes, initializers, inputs, outputs);
        }
    }

    /** {@code NodeProto}: one operator call of the default domain. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs,
                       List<Attribute> attributes) {
        private static final int INPUT = 1;
        private static final int OUTPUT = 2;
        private static final int NAME = 3;
        private static final int OP_TYPE = 4;
        private static final int ATTRIBUTE = 5;

        byte[] toBytes() {
            return encode(out -> {
                for (String s : inputs) {
                    out.writeString(INPUT, s);
                }
                for (String s : outputs) {
                    out.writeString(OUTPUT, s);
                }
                writeString(out, NAME, name);
                out.writeString(OP_TYPE, opType);
                for (Attribute a : attributes) {
                    out.writeByteArray(ATTRIBUTE, a.toBytes());
                }
            });
        }

        static Node parse(byte[] bytes) throws IOException {
            String name = "";
            String opType = "";
            List<String> inputs = new ArrayList<>();
            List<String> outputs = new ArrayList<>();
            List<Attribute> attributes = new ArrayList<>();
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case INPUT -> inputs.add(in.readStringRequireUtf8());
                    case OUTPUT -> outputs.add(in.readStringRequireUtf8());
                    case NAME -> name = in.readStringRequireUtf8();
                    case OP_TYPE -> opType = in.readStringRequireUtf8();
                    case ATTRIBUTE -> attributes.add(Attribute.parse(in.readByteArray()));
                    default -> in.skipField(tag);
                }
            }
            return new Node(name, opType, inputs, outputs, attributes);
        }

        /** The attribute called {@code name}, or null. */
        public Attribute attribute(String name) {
            for (Attribute a : attributes) {
                if (a.name().equals(name)) {
                    return a;
                }
            }
            return null;
        }
    }

    /**
     * {@code AttributeProto}: a named float, int, string, tensor, floats or ints ({@code type} says which; the other
     * value fields are unused).
     */
    public record Attribute(String name, int type, float f, long i, String s, Tensor t, float[] floats, long[] ints) {
        private static final int NAME = 1;
        private static final int F = 2;
        private static final int I = 3;
        private static final int S = 4;
        private static final int T = 5;
        private static final int FLOATS = 7;
        private static final int INTS = 8;
        private static final int TYPE = 20;

        public static Attribute of(String name, long value) {
            return new Attribute(name, ATTR_INT, 0, value, null, null, null, null);
        }

        public static Attribute of(String name, float value) {
            return new Attribute(name, ATTR_FLOAT, value, 0, null, null, null, null);
        }

        public static Attribute of(String name, String value) {
            return new Attribute(name, ATTR_STRING, 0, 0, value, null, null, null);
        }

        public static Attribute of(String name, Tensor value) {
            return new Attribute(name, ATTR_TENSOR, 0, 0, null, value, null, null);
        }

        public static Attribute ints(String name, long... values) {
            return new Attribute(name, ATTR_INTS, 0, 0, null, null, null, values);
        }

        byte[] toBytes() {
            return encode(out -> {
                out.writeString(NAME, name);
                switch (type) {
                    case ATTR_FLOAT -> out.writeFloat(F, f);
                    case ATTR_INT -> out.writeInt64(I, i);
                    case ATTR_STRING -> out.writeByteArray(S, s.getBytes(StandardCharsets.UTF_8));
                    case ATTR_TENSOR -> out.writeByteArray(T, t.toBytes());
                    case ATTR_FLOATS -> {
                        for (float v : floats) {
                            out.writeFloat(FLOATS, v);
                        }
                    }
                    case ATTR_INTS -> {
                        for (long v : ints) {
                            out.writeInt64(INTS, v);
                        }
                    }
                    default -> throw new IllegalStateException("attribute " + name + " has unsupported type " + type);
                }
                out.writeEnum(TYPE, type);
            });
        }

        static Attribute parse(byte[] bytes) throws IOException {
            String name = "";
            int type = 0;
            float f = 0;
            long i = 0;
            String s = null;
            Tensor t = null;
            List<Float> floats = new ArrayList<>();
            List<Long> ints = new ArrayList<>();
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case NAME -> name = in.readStringRequireUtf8();
                    case F -> f = in.readFloat();
                    case I -> i = in.readInt64();
                    case S -> s = new String(in.readByteArray(), StandardCharsets.UTF_8);
                    case T -> t = Tensor.parse(in.readByteArray());
                    case FLOATS -> readFloats(in, tag, floats);
                    case INTS -> readInt64s(in, tag, ints);
                    case TYPE -> type = in.readEnum();
                    default -> in.skipField(tag);
                }
            }
            float[] fs = new float[floats.size()];
            for (int k = 0; k < fs.length; k++) {
                fs[k] = floats.get(k);
            }
            return new Attribute(name, type, f, i, s, t, fs, ints.stream().mapToLong(Long::longValue).toArray());
        }
    }

    /** {@code TensorProto}: a named tensor, its values as little-endian {@code raw_data}. */
    public record Tensor(String name, int dataType, long[] dims, byte[] raw) {
        private static final int DIMS = 1;
        private static final int DATA_TYPE = 2;
        private static final int NAME = 8;
        private static final int RAW_DATA = 9;

        byte[] toBytes() {
            return encode(out -> {
                for (long d : dims) {
                    out.writeInt64(DIMS, d);
                }
                out.writeInt32(DATA_TYPE, dataType);
                writeString(out, NAME, name);
                out.writeByteArray(RAW_DATA, raw);
            });
        }

        static Tensor parse(byte[] bytes) throws IOException {
            String name = "";
            int dataType = 0;
            List<Long> dims = new ArrayList<>();
            byte[] raw = new byte[0];
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case DIMS -> readInt64s(in, tag, dims);
                    case DATA_TYPE -> dataType = in.readInt32();
                    case NAME -> name = in.readStringRequireUtf8();
                    case RAW_DATA -> raw = in.readByteArray();
                    default -> in.skipField(tag);
                }
            }
            return new Tensor(name, dataType, dims.stream().mapToLong(Long::longValue).toArray(), raw);
        }

        /** Number of elements. */
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * {@code ValueInfoProto} with a tensor type: a graph input or output; a dimension is a size or a name. A null
     * {@code shape} writes none (shape unknown: an intermediate value made an output to inspect it).
     */
    public record ValueInfo(String name, int elemType, List<Dim> shape) {
        private static final int NAME = 1;
        private static final int TYPE = 2;
        private static final int TYPE_TENSOR = 1; // TypeProto.tensor_type
        private static final int TENSOR_ELEM_TYPE = 1; // TypeProto.Tensor.elem_type
        private static final int TENSOR_SHAPE = 2; // TypeProto.Tensor.shape
        private static final int SHAPE_DIM = 1; // TensorShapeProto.dim

        byte[] toBytes() {
            byte[] shapeBytes = shape == null ? null : encode(out -> {
                for (Dim d : shape) {
                    out.writeByteArray(SHAPE_DIM, d.toBytes());
                }
            });
            byte[] tensorType = encode(out -> {
                out.writeInt32(TENSOR_ELEM_TYPE, elemType);
                if (shapeBytes != null) {
                    out.writeByteArray(TENSOR_SHAPE, shapeBytes);
                }
            });
            byte[] type = encode(out -> out.writeByteArray(TYPE_TENSOR, tensorType));
            return encode(out -> {
                out.writeString(NAME, name);
                out.writeByteArray(TYPE, type);
            });
        }

        static ValueInfo parse(byte[] bytes) throws IOException {
            String name = "";
            int elemType = 0;
            List<Dim> shape = new ArrayList<>();
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case NAME -> name = in.readStringRequireUtf8();
                    case TYPE -> {
                        CodedInputStream type = CodedInputStream.newInstance(in.readByteArray());
                        for (int t = type.readTag(); t != 0; t = type.readTag()) {
                            if (WireFormat.getTagFieldNumber(t) != TYPE_TENSOR) {
                                type.skipField(t);
                                continue;
                            }
                            CodedInputStream tensor = CodedInputStream.newInstance(type.readByteArray());
                            for (int u = tensor.readTag(); u != 0; u = tensor.readTag()) {
                                switch (WireFormat.getTagFieldNumber(u)) {
                                    case TENSOR_ELEM_TYPE -> elemType = tensor.readInt32();
                                    case TENSOR_SHAPE -> {
                                        CodedInputStream s = CodedInputStream.newInstance(tensor.readByteArray());
                                        for (int v = s.readTag(); v != 0; v = s.readTag()) {
                                            if (WireFormat.getTagFieldNumber(v) == SHAPE_DIM) {
                                                shape.add(Dim.parse(s.readByteArray()));
                                            } else {
                                                s.skipField(v);
                                            }
                                        }
                                    }
                                    default -> tensor.skipField(u);
                                }
                            }
                        }
                    }
                    default -> in.skipField(tag);
                }
            }
            return new ValueInfo(name, elemType, shape);
        }

        /** The shape as numbers, {@code -1} for a named (dynamic) dimension. */
        public long[] dims() {
            return shape.stream().mapToLong(d -> d.param() == null ? d.value() : -1).toArray();
        }
    }

    /** {@code TensorShapeProto.Dimension}: a size, or a name ({@code param}) for a dynamic dimension. */
    public record Dim(long value, String param) {
        private static final int DIM_VALUE = 1;
        private static final int DIM_PARAM = 2;

        public static Dim of(long value) {
            return new Dim(value, null);
        }

        public static Dim named(String param) {
            return new Dim(0, param);
        }

        byte[] toBytes() {
            return encode(out -> {
                if (param != null) {
                    out.writeString(DIM_PARAM, param);
                } else {
                    out.writeInt64(DIM_VALUE, value);
                }
            });
        }

        static Dim parse(byte[] bytes) throws IOException {
            long value = 0;
            String param = null;
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case DIM_VALUE -> value = in.readInt64();
                    case DIM_PARAM -> param = in.readStringRequireUtf8();
                    default -> in.skipField(tag);
                }
            }
            return new Dim(value, param);
        }
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] encode(Writer writer) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            writer.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeString(CodedOutputStream out, int field, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            out.writeString(field, value);
        }
    }

    private static void readInt64s(CodedInputStream in, int tag, List<Long> into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readInt64());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readInt64());
        }
    }

    private static void readFloats(CodedInputStream in, int tag, List<Float> into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readFloat());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readFloat());
        }
    }
}
