package io.troupe.learners.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.learners.model.GradMode;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.PolicyModel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which entries of a model's parameters are pruned (held at exactly zero): one {@code boolean[]} per parameter, in
 * the model's parameter order, {@code null} for a parameter that is not masked. Unstructured pruning keeps the mask
 * through fine-tuning: the learner re-applies it after every optimizer step when its checkpoint directory holds
 * {@link #FILE}, so published and checkpointed weights have exactly the masked zeros. Immutable.
 */
public final class ParameterMask {
    /** The mask's file in a learner's checkpoint directory (beside {@code latest/}). */
    public static final String FILE = "prune-mask.bin";
    private static final int MAGIC = 0x54524d4b; // "TRMK"

    private final List<String> names;
    private final List<boolean[]> pruned;

    /** {@code pruned.get(i)[j]}: entry j of parameter {@code names.get(i)} is pruned; a null entry masks nothing. */
    public ParameterMask(List<String> names, List<boolean[]> pruned) {
        if (names.size() != pruned.size()) {
            throw new IllegalArgumentException("a mask needs one entry per parameter: " + names.size() + " names, "
                    + pruned.size() + " masks");
        }
        this.names = List.copyOf(names);
        this.pruned = new ArrayList<>(pruned);
    }

    /** The parameter names, in model order. */
    public List<String> names() {
        return names;
    }

    /** Whether entry {@code entry} of parameter {@code index} is pruned. */
    public boolean isPruned(int index, int entry) {
        boolean[] p = pruned.get(index);
        return p != null && p[entry];
    }

    /** How many entries are pruned. */
    public long prunedCount() {
        long n = 0;
        for (boolean[] p : pruned) {
            if (p != null) {
                for (boolean b : p) {
                    n += b ? 1 : 0;
                }
            }
        }
        return n;
    }

    /** How many entries the mask covers (the parameters it was selected over). */
    public long maskedParameterSize() {
        long n = 0;
        for (boolean[] p : pruned) {
            n += p == null ? 0 : p.length;
        }
        return n;
    }

    /** Sets every pruned entry of {@code model}'s parameters to zero; refuses a model with other parameters. */
    public void apply(PolicyModel model) {
        List<Pair<String, Parameter>> params = model.parameters();
        if (params.size() != names.size()) {
            throw new IllegalArgumentException("the prune mask covers " + names.size() + " parameters but model "
                    + model.modelId() + " has " + params.size());
        }
        GradMode.off();
        for (int i = 0; i < params.size(); i++) {
            boolean[] p = pruned.get(i);
            if (!params.get(i).getKey().equals(names.get(i))) {
                throw new IllegalArgumentException("the prune mask's parameter " + i + " is " + names.get(i)
                        + " but model " + model.modelId() + " has " + params.get(i).getKey());
            }
            if (p == null) {
                continue;
            }
            NDArray a = params.get(i).getValue().getArray();
            if (a.size() != p.length) {
                throw new IllegalArgumentException("the prune mask of " + names.get(i) + " has " + p.length
                        + " entries but the parameter has " + a.size());
            }
            float[] w = a.toFloatArray();
            boolean changed = false;
            for (int j = 0; j < w.length; j++) {
                if (p[j] && w[j] != 0f) {
                    w[j] = 0f;
                    changed = true;
                }
            }
            if (changed) {
                InPlace.copy(a, w);
            }
        }
    }

    /** Writes the mask to {@code file}. */
    public void write(Path file) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(MAGIC);
                out.writeInt(names.size());
                for (int i = 0; i < names.size(); i++) {
                    out.writeUTF(names.get(i));
                    boolean[] p = pruned.get(i);
                    out.writeInt(p == null ? -1 : p.length);
                    if (p != null) {
                        byte[] bits = new byte[(p.length + 7) / 8];
                        for (int j = 0; j < p.length; j++) {
                            if (p[j]) {
                                bits[j >> 3] |= (byte) (1 << (j & 7));
                            }
                        }
                        out.write(bits);
                    }
                }
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the prune mask " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a mask written by {@link #write}; a damaged file is an error naming it. */
    public static ParameterMask read(Path file) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(file)))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("prune mask " + file + " is not a Troupe prune mask (bad magic)");
            }
            int n = in.readInt();
            List<String> names = new ArrayList<>(n);
            List<boolean[]> pruned = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                names.add(in.readUTF());
                int len = in.readInt();
                if (len < 0) {
                    pruned.add(null);
                    continue;
                }
                byte[] bits = new byte[(len + 7) / 8];
                in.readFully(bits);
                boolean[] p = new boolean[len];
                for (int j = 0; j < len; j++) {
                    p[j] = (bits[j >> 3] & (1 << (j & 7))) != 0;
                }
                pruned.add(p);
            }
            return new ParameterMask(names, pruned);
        } catch (IOException e) {
            throw new IllegalArgumentException("prune mask " + file + " is unreadable: " + e.getMessage(), e);
        }
    }

    /** The mask a learner keeps in {@code checkpointDir}, if one is there. */
    public static Optional<ParameterMask> inCheckpointDir(Path checkpointDir) {
        Path file = checkpointDir.resolve(FILE);
        return Files.isRegularFile(file) ? Optional.of(read(file)) : Optional.empty();
    }
}
