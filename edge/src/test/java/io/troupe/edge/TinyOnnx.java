package io.troupe.edge;

import io.troupe.core.DType;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.edge.contract.SpaceJson;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hand-encoded ONNX models for tests of the edge module, which cannot use the exporter: {@code logits = obs @ W}
 * ({@code W} given, [features x actions]) and {@code value = sum(obs, axis 1)}, written with the protobuf field
 * numbers of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto). Input and output names
 * are parameters so that a test can build a model foreign to its contract.
 */
final class TinyOnnx {
    private TinyOnnx() {
    }

    /** A CartPole-like contract: Box float32 [features] in -10..10, Discrete(actions), model id {@code tiny-mlp}. */
    static PolicyContract contract(int features, int actions) {
        Box box = Box.uniform(-10, 10, DType.FLOAT32, features);
        return new PolicyContract(PolicyContract.FORMAT, "policy.onnx", "Tiny-v0", "mlp", "tiny-mlp",
                (long) features * actions, 7, "00", "test", 13, SpaceJson.write(box),
                SpaceJson.write(new Discrete(actions)), PolicyContract.inputsOf(box),
                PolicyContract.outputsOf(actions), null);
    }

    /** The linear model over input {@code input} of {@code features} float32 columns. */
    static byte[] linear(String input, float[][] w, String logits, String value) {
        int features = w.length;
        int actions = w[0].length;
        float[] flat = new float[features * actions];
        for (int i = 0; i < features; i++) {
            System.arraycopy(w[i], 0, flat, i * actions, actions);
        }
        Proto graph = new Proto()
                .message(1, new Proto().string(1, input).string(1, "W").string(2, logits).string(3, "matmul")
                        .string(4, "MatMul"))
                .message(1, new Proto().string(1, input).string(1, "axes").string(2, value).string(3, "sum")
                        .string(4, "ReduceSum")
                        .message(5, new Proto().string(1, "keepdims").varint(3, 0).varint(20, 2)))
                .string(2, "tiny")
                .message(5, floatTensor("W", flat, features, actions))
                .message(5, new Proto().varint(1, 1).varint(2, 7).packedVarints(7, 1).string(8, "axes"))
                .message(11, valueInfo(input, 1, features))
                .message(12, valueInfo(logits, 1, actions))
                .message(12, valueInfo(value, 1));
        return new Proto().varint(1, 8).string(2, "troupe-test").message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, 13)).bytes();
    }

    private static Proto floatTensor(String name, float[] values, long... dims) {
        Proto t = new Proto();
        for (long d : dims) {
            t.varint(1, d);
        }
        t.varint(2, 1);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (float f : values) {
            int bits = Float.floatToIntBits(f);
            for (int b = 0; b < 4; b++) {
                raw.write(bits >>> (8 * b) & 0xFF);
            }
        }
        return t.string(8, name).raw(9, raw.toByteArray());
    }

    /** A tensor value of {@code elemType} (1 float32) with a dynamic batch dimension then {@code dims}. */
    private static Proto valueInfo(String name, int elemType, long... dims) {
        Proto shape = new Proto().message(1, new Proto().string(2, "N"));
        for (long d : dims) {
            shape.message(1, new Proto().varint(1, d));
        }
        return new Proto().string(1, name).message(2, new Proto().message(1, new Proto().varint(1, elemType)
                .message(2, shape)));
    }

    /** A protobuf message writer: just the wire types ONNX needs (varint, length-delimited). */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint((long) field << 3);
            writeVarint(value);
            return this;
        }

        Proto packedVarints(int field, long... values) {
            Proto p = new Proto();
            for (long v : values) {
                p.writeVarint(v);
            }
            return raw(field, p.bytes());
        }

        Proto string(int field, String s) {
            return raw(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return raw(field, m.bytes());
        }

        Proto raw(int field, byte[] bytes) {
            writeVarint((long) field << 3 | 2);
            writeVarint(bytes.length);
            out.writeBytes(bytes);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void writeVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
