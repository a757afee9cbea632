package io.troupe.learners.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Parameters as bytes: {@code "TRPW"}, format version, model id, then per parameter its name, shape and float32 values
 * (little endian). Loading checks every parameter's name and shape against the model and names the first that
 * differs.
 */
public final class WeightsCodec {
    private static final int MAGIC = 0x54525057; // "TRPW"
    private static final int FORMAT = 1;

    private WeightsCodec() {
    }

    public static byte[] encode(String modelId, List<Pair<String, Parameter>> parameters) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeUTF(modelId);
            out.writeInt(parameters.size());
            for (Pair<String, Parameter> p : parameters) {
                NDArray a = p.getValue().getArray();
                out.writeUTF(p.getKey());
                long[] dims = a.getShape().getShape();
                out.writeInt(dims.length);
                for (long d : dims) {
                    out.writeLong(d);
                }
                float[] values = a.toFloatArray();
                ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(values);
                out.write(buf.array());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loads {@code bytes} into {@code parameters}; refuses weights of another architecture, naming the difference. */
    public static void decode(byte[] bytes, String modelId, List<Pair<String, Parameter>> parameters) {
        decode(bytes, modelId, parameters, parameters);
    }

    /**
     * Loads into {@code held} (a subset of {@code parameters}, in their order) its parameters' values from
     * {@code bytes}, the weights of the whole model, and skips the rest: a pipeline stage loads its slice without
     * allocating the other stages' parameters. Every name is checked against {@code parameters}, every shape of a held
     * parameter against the weights.
     */
    public static void decode(byte[] bytes, String modelId, List<Pair<String, Parameter>> parameters,
                              List<Pair<String, Parameter>> held) {
        Set<Parameter> loaded = Collections.newSetFromMap(new IdentityHashMap<>());
        held.forEach(p -> loaded.add(p.getValue()));
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("not Troupe policy weights (bad magic number)");
            }
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IllegalArgumentException("policy weights format " + format + " is not supported (expected "
                        + FORMAT + ")");
            }
            String theirId = in.readUTF();
            int count = in.readInt();
            float[][] values = new float[parameters.size()][];
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                long[] dims = new long[in.readInt()];
                for (int d = 0; d < dims.length; d++) {
                    dims[d] = in.readLong();
                }
                if (i >= parameters.size()) {
                    throw new IllegalArgumentException("weights of model " + theirId + " have parameter " + name
                            + " that model " + modelId + " does not have");
                }
                Pair<String, Parameter> ours = parameters.get(i);
                long n = 1;
                for (long d : dims) {
                    n *= d;
                }
                if (!ours.getKey().equals(name)) {
                    throw new IllegalArgumentException("weights of model " + theirId + " do not fit model " + modelId
                            + ": parameter " + i + " is " + name + " in the weights but " + ours.getKey()
                            + " in this model");
                }
                if (!loaded.contains(ours.getValue())) {
                    in.skipNBytes(n * 4);
                    continue;
                }
                long[] ourDims = ours.getValue().getArray().getShape().getShape();
                if (!Arrays.equals(ourDims, dims)) {
                    throw new IllegalArgumentException("weights of model " + theirId + " do not fit model " + modelId
                            + ": parameter " + name + " has shape " + new Shape(dims) + " in the weights but "
                            + new Shape(ourDims) + " in this model");
                }
                byte[] raw = new byte[(int) (n * 4)];
                in.readFully(raw);
                float[] v = new float[(int) n];
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                values[i] = v;
            }
            if (count < parameters.size()) {
                throw new IllegalArgumentException("weights of model " + theirId + " lack parameter "
                        + parameters.get(count).getKey() + " of model " + modelId);
            }
            for (int i = 0; i < values.length; i++) {
                if (values[i] != null) {
                    InPlace.copyIntoParameter(parameters.get(i).getValue().getArray(), values[i]);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("policy weights are truncated or corrupt: " + e.getMessage(), e);
        }
    }
}
