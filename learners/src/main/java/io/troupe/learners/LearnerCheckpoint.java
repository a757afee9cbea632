package io.troupe.learners;

import io.troupe.core.PolicyWeights;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A learner's checkpoints in {@code <dir>/}: {@code latest/} and the one before it, {@code previous/}. Each holds
 * parameters ({@code weights.trpw}), optimizer state ({@code optimizer.bin}), counters ({@code state.properties}:
 * updates, env steps, policy version, model id) and a {@code MANIFEST} (size and CRC32 of each file, and a CRC32 of
 * itself), so a damaged file is detected before anything is loaded.
 *
 * <p>{@link #save} writes {@code latest.tmp/}, fsyncs its files and the folder, and only then deletes the oldest
 * checkpoint and renames the new one into place (fsyncing the parent): at every instant a complete checkpoint is on
 * disk. {@link #restore} falls back to {@code previous/} when {@code latest/} is missing or unreadable, and says so.
 */
public final class LearnerCheckpoint {
    private static final Logger LOG = LoggerFactory.getLogger(LearnerCheckpoint.class);
    private static final String WEIGHTS = "weights.trpw";
    private static final String OPTIMIZER = "optimizer.bin";
    private static final String STATE = "state.properties";
    private static final String MANIFEST = "MANIFEST";

    /** The counters a learner resumes with. */
    public record Counters(long updates, long envSteps, long policyVersion) {
    }

    /**
     * What {@link #restore} loaded: the counters, from which folder, and whether it fell back from {@code latest/}
     * to {@code previous/} ({@code reason} says why; empty when it did not).
     */
    public record Restored(Counters counters, Path from, boolean fellBack, String reason) {
    }

    private LearnerCheckpoint() {
    }

    public static void save(Path dir, PolicyModel model, Adam adam, Counters counters) {
        Path tmp = dir.resolve("latest.tmp");
        Path latest = dir.resolve("latest");
        Path previous = dir.resolve("previous");
        try {
            Files.createDirectories(dir);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            ByteArrayOutputStream optimizer = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(optimizer)) {
                adam.save(out);
            }
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(WEIGHTS, model.weights(counters.policyVersion()).bytes());
            files.put(OPTIMIZER, optimizer.toByteArray());
            files.put(STATE, state(model.modelId(), counters));
            writeFiles(tmp, files);
            // the new checkpoint is complete and on disk: only now does the oldest go
            deleteTree(previous);
            if (Files.exists(latest)) {
                Files.move(latest, previous, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, latest, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a policy alone ({@code weights.trpw}, {@code state.properties}, {@code MANIFEST}; no optimizer state) as
     * the checkpoint folder {@code folder}, replacing what is there: written beside it as {@code <folder>.tmp} and
     * synced first, so {@code folder} is at every instant either the old policy or the new one, complete. For a
     * run's {@code checkpoints/best} (the best greedy evaluation's weights); {@link #readPolicy} reads it.
     */
    public static void savePolicy(Path folder, PolicyWeights weights, Counters counters) {
        Path tmp = folder.resolveSibling(folder.getFileName() + ".tmp");
        Path old = folder.resolveSibling(folder.getFileName() + ".old");
        try {
            Files.createDirectories(folder.getParent());
            deleteTree(tmp);
            deleteTree(old);
            Files.createDirectories(tmp);
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(WEIGHTS, weights.bytes());
            files.put(STATE, state(weights.modelId(), counters));
            writeFiles(tmp, files);
            if (Files.exists(folder)) {
                Files.move(folder, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, folder, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(folder.getParent());
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + folder + ": " + e.getMessage(), e);
        }
    }

    private static byte[] state(String modelId, Counters counters) throws IOException {
        Properties p = new Properties();
        p.setProperty("model-id", modelId);
        p.setProperty("updates", Long.toString(counters.updates()));
        p.setProperty("env-steps", Long.toString(counters.envSteps()));
        p.setProperty("policy-version", Long.toString(counters.policyVersion()));
        StringWriter state = new StringWriter();
        p.store(state, "Troupe learner checkpoint");
        return state.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Writes {@code files} and their {@code MANIFEST} into the folder {@code tmp}, each synced, then the folder. */
    private static void writeFiles(Path tmp, Map<String, byte[]> files) throws IOException {
        StringBuilder manifest = new StringBuilder();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            writeSynced(tmp.resolve(f.getKey()), f.getValue());
            manifest.append(f.getKey()).append(' ').append(f.getValue().length).append(' ')
                    .append(crc(f.getValue())).append('\n');
        }
        String own = crc(manifest.toString().getBytes(StandardCharsets.UTF_8)); // of the lines above it
        manifest.append(MANIFEST).append(' ').append(own).append('\n');
        writeSynced(tmp.resolve(MANIFEST), manifest.toString().getBytes(StandardCharsets.UTF_8));
        syncDirectory(tmp);
    }

    /**
     * Loads the newest readable checkpoint under {@code dir} into the model and optimizer, if there is one; refuses
     * another architecture. See {@link #restore} for which one was loaded.
     */
    public static Optional<Counters> load(Path dir, PolicyModel model, Adam adam) {
        return restore(dir, model, adam).map(Restored::counters);
    }

    /**
     * Loads {@code <dir>/latest} into the model and optimizer, or, when it is missing or unreadable (a file damaged
     * or missing, its manifest not matching), {@code <dir>/previous}, logging a warning and saying so in the result.
     * Empty when there is no checkpoint; an error naming both when neither can be loaded.
     */
    public static Optional<Restored> restore(Path dir, PolicyModel model, Adam adam) {
        List<String> failures = new ArrayList<>();
        for (String name : List.of("latest", "previous")) {
            Path candidate = dir.resolve(name);
            if (!Files.isDirectory(candidate)) {
                if (name.equals("latest") && Files.isDirectory(dir.resolve("previous"))) {
                    failures.add(candidate + " is missing");
                }
                continue;
            }
            try {
                Counters c = loadFrom(candidate, model, adam);
                String reason = String.join("; ", failures);
                if (!failures.isEmpty()) {
                    LOG.warn("resumed from the previous checkpoint {}: {}", candidate, reason);
                }
                return Optional.of(new Restored(c, candidate, !failures.isEmpty(), reason));
            } catch (IOException | RuntimeException e) {
                failures.add("checkpoint " + candidate + " cannot be loaded: " + e.getMessage());
            }
        }
        if (failures.isEmpty()) {
            return Optional.empty();
        }
        throw new IllegalStateException(String.join("; ", failures));
    }

    /** A checkpoint's policy alone: its model id, counters and parameter bytes ({@code weights.trpw}), verified. */
    public record PolicyFiles(String modelId, Counters counters, byte[] weights) {
    }

    /**
     * The policy of the checkpoint folder {@code folder} ({@code latest/} or {@code previous/}), checked against its
     * manifest; for reading a trained policy without an optimizer (export, serving, evaluation).
     */
    public static PolicyFiles readPolicy(Path folder) throws IOException {
        Map<String, byte[]> files = verified(folder, List.of(WEIGHTS, STATE));
        Properties p = new Properties();
        p.load(new StringReader(new String(files.get(STATE), StandardCharsets.UTF_8)));
        Counters c = new Counters(number(p, "updates", folder), number(p, "env-steps", folder),
                number(p, "policy-version", folder));
        String modelId = p.getProperty("model-id");
        if (modelId == null) {
            throw new IOException(folder.resolve(STATE) + " has no model-id");
        }
        return new PolicyFiles(modelId, c, files.get(WEIGHTS));
    }

    private static Counters loadFrom(Path folder, PolicyModel model, Adam adam) throws IOException {
        Map<String, byte[]> files = verified(folder, List.of(WEIGHTS, OPTIMIZER, STATE));
        Properties p = new Properties();
        p.load(new StringReader(new String(files.get(STATE), StandardCharsets.UTF_8)));
        Counters c = new Counters(number(p, "updates", folder), number(p, "env-steps", folder),
                number(p, "policy-version", folder));
        model.load(new PolicyWeights(p.getProperty("model-id"), c.policyVersion(), files.get(WEIGHTS)));
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(files.get(OPTIMIZER)))) {
            adam.load(in);
        }
        return c;
    }

    /**
     * The checkpoint's files, read whole and checked against its manifest (none: a checkpoint of an older build):
     * {@code required} must be there; any other file the manifest names is read and checked too.
     */
    private static Map<String, byte[]> verified(Path folder, List<String> required) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : required) {
            files.put(name, Files.readAllBytes(folder.resolve(name)));
        }
        Path manifestFile = folder.resolve(MANIFEST);
        if (!Files.exists(manifestFile)) {
            LOG.warn("checkpoint {} has no {} (written by an older build): loaded unverified", folder, MANIFEST);
            return files;
        }
        String manifest = Files.readString(manifestFile, StandardCharsets.ISO_8859_1);
        int last = manifest.lastIndexOf(MANIFEST + " ");
        if (last < 0 || !manifest.endsWith("\n")
                || !manifest.substring(last).trim().equals(MANIFEST + " " + crc(manifest.substring(0, last)
                .getBytes(StandardCharsets.ISO_8859_1)))) {
            throw new IOException(manifestFile + " is damaged (its checksum does not match)");
        }
        for (String line : manifest.substring(0, last).split("\n")) {
            String[] f = line.split(" ");
            if (!files.containsKey(f[0]) && List.of(WEIGHTS, OPTIMIZER, STATE).contains(f[0])) {
                files.put(f[0], Files.readAllBytes(folder.resolve(f[0])));
            }
            byte[] bytes = files.get(f[0]);
            if (f.length != 3 || bytes == null) {
                throw new IOException(manifestFile + " names an unknown file: " + line);
            }
            if (bytes.length != Long.parseLong(f[1]) || !crc(bytes).equals(f[2])) {
                throw new IOException(folder.resolve(f[0]) + " is damaged: expected " + f[1] + " bytes with CRC32 "
                        + f[2] + ", found " + bytes.length + " bytes with CRC32 " + crc(bytes));
            }
        }
        return files;
    }

    private static long number(Properties p, String key, Path folder) throws IOException {
        String v = p.getProperty(key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IOException(folder.resolve(STATE) + ": " + key + " must be a number, found " + v);
        }
    }

    private static String crc(byte[] bytes) {
        CRC32 c = new CRC32();
        c.update(bytes);
        return String.format("%08x", c.getValue());
    }

    private static void writeSynced(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> files = Files.walk(p)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
