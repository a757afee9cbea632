package io.troupe.learners;

import io.troupe.core.PolicyWeights;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A learner's checkpoint in {@code <dir>/latest/}: parameters ({@code weights.trpw}), optimizer state
 * ({@code optimizer.bin}) and counters ({@code state.properties}: updates, env steps, policy version, model id).
 * Written to a temporary directory and renamed into place, so a crash leaves the previous checkpoint intact.
 */
public final class LearnerCheckpoint {

    /** The counters a learner resumes with. */
    public record Counters(long updates, long envSteps, long policyVersion) {
    }

    private LearnerCheckpoint() {
    }

    public static void save(Path dir, PolicyModel model, Adam adam, Counters counters) {
        Path tmp = dir.resolve("latest.tmp");
        Path latest = dir.resolve("latest");
        try {
            Files.createDirectories(dir);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            Files.write(tmp.resolve("weights.trpw"), model.weights(counters.policyVersion()).bytes());
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                    Files.newOutputStream(tmp.resolve("optimizer.bin"))))) {
                adam.save(out);
            }
            Properties p = new Properties();
            p.setProperty("model-id", model.modelId());
            p.setProperty("updates", Long.toString(counters.updates()));
            p.setProperty("env-steps", Long.toString(counters.envSteps()));
            p.setProperty("policy-version", Long.toString(counters.policyVersion()));
            try (var out = Files.newBufferedWriter(tmp.resolve("state.properties"))) {
                p.store(out, "Troupe learner checkpoint");
            }
            Path old = dir.resolve("previous");
            deleteTree(old);
            if (Files.exists(latest)) {
                Files.move(latest, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, latest, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Loads {@code <dir>/latest} into the model and optimizer, if it exists; refuses another architecture. */
    public static Optional<Counters> load(Path dir, PolicyModel model, Adam adam) {
        Path latest = dir.resolve("latest");
        if (!Files.isDirectory(latest) && Files.isDirectory(dir.resolve("previous"))) {
            latest = dir.resolve("previous"); // a crash between the two renames
        }
        if (!Files.isDirectory(latest)) {
            return Optional.empty();
        }
        try {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(latest.resolve("state.properties"))) {
                p.load(in);
            }
            Counters c = new Counters(Long.parseLong(p.getProperty("updates")),
                    Long.parseLong(p.getProperty("env-steps")), Long.parseLong(p.getProperty("policy-version")));
            model.load(new PolicyWeights(p.getProperty("model-id"), c.policyVersion(),
                    Files.readAllBytes(latest.resolve("weights.trpw"))));
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                    Files.newInputStream(latest.resolve("optimizer.bin"))))) {
                adam.load(in);
            }
            return Optional.of(c);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("checkpoint " + latest + " cannot be loaded: " + e.getMessage(), e);
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
