package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints on real files: the one before the latest is kept until a newer one is complete, and a damaged latest
 * (truncated or bit-flipped at seeded offsets) makes {@code restore} fall back to the previous one and say so.
 */
class LearnerCheckpointTest {
    private static final EnvSpec CARTPOLE = EnvSpec.of("CartPole-v1", Box.uniform(-5, 5, DType.FLOAT32, 4),
            new Discrete(2));
    private static final LearnerCheckpoint.Counters FIRST = new LearnerCheckpoint.Counters(1, 128, 1);
    private static final LearnerCheckpoint.Counters SECOND = new LearnerCheckpoint.Counters(2, 256, 2);
    private static final List<String> FILES = List.of("weights.trpw", "optimizer.bin", "state.properties",
            "MANIFEST");

    @TempDir
    Path root;

    /** Saves a checkpoint of a model initialized with {@code seed}; returns its weights. */
    private static byte[] save(Path dir, long seed, LearnerCheckpoint.Counters counters) {
        try (PolicyModel m = PolicyModel.create(CARTPOLE, ModelConfig.mlp(16), seed, Device.cpu());
             Adam adam = Adam.withDefaults(m.parameters(), m.manager())) {
            LearnerCheckpoint.save(dir, m, adam, counters);
            return m.weights(0).bytes();
        }
    }

    /** Restores into a fresh model; returns the result and the weights it loaded. */
    private static Object[] restore(Path dir) {
        try (PolicyModel m = PolicyModel.create(CARTPOLE, ModelConfig.mlp(16), 99, Device.cpu());
             Adam adam = Adam.withDefaults(m.parameters(), m.manager())) {
            LearnerCheckpoint.Restored r = LearnerCheckpoint.restore(dir, m, adam).orElseThrow();
            return new Object[] {r, m.weights(0).bytes()};
        }
    }

    /** The checkpoint before the latest stays, complete, until the next save: there is always one to fall back to. */
    @Test
    void theCheckpointBeforeTheLatestIsKeptComplete() throws IOException {
        Path dir = root.resolve("ck");
        save(dir, 1, FIRST);
        save(dir, 2, SECOND);
        for (String f : FILES) {
            assertTrue(Files.size(dir.resolve("previous").resolve(f)) > 0, f);
            assertTrue(Files.size(dir.resolve("latest").resolve(f)) > 0, f);
        }
        assertFalse(Files.exists(dir.resolve("latest.tmp")));
        Object[] r = restore(dir);
        assertEquals(new LearnerCheckpoint.Restored(SECOND, dir.resolve("latest"), false, ""), r[0]);
    }

    /** A save that crashed half-way (a partial latest.tmp) changes nothing: the latest complete one loads. */
    @Test
    void aHalfWrittenSaveLeavesTheLatestCheckpointInPlace() throws IOException {
        Path dir = root.resolve("ck");
        byte[] first = save(dir, 1, FIRST);
        Files.createDirectories(dir.resolve("latest.tmp"));
        Files.write(dir.resolve("latest.tmp").resolve("weights.trpw"), new byte[] {1, 2, 3});
        Object[] r = restore(dir);
        assertEquals(FIRST, ((LearnerCheckpoint.Restored) r[0]).counters());
        assertArrayEquals(first, (byte[]) r[1]);
    }

    @Test
    void aDamagedLatestFallsBackToThePreviousAndSaysSo() throws IOException {
        for (int seed = 1; seed <= 8; seed++) {
            Path dir = root.resolve("ck-" + seed);
            byte[] first = save(dir, 1, FIRST);
            save(dir, 2, SECOND);
            SplittableRandom rng = new SplittableRandom(seed);
            Path file = dir.resolve("latest").resolve(FILES.get(seed % FILES.size())); // each file, both ways
            long at = rng.nextLong(Files.size(file));
            boolean truncate = (seed / FILES.size()) % 2 == 0;
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                if (truncate) {
                    f.setLength(at);
                } else {
                    f.seek(at);
                    int b = f.read();
                    f.seek(at);
                    f.write(b ^ (1 << rng.nextInt(8)));
                }
            }
            String where = "seed " + seed + ": " + (truncate ? "truncated " : "flipped a bit in ") + file + " at "
                    + at;
            Object[] r = restore(dir);
            LearnerCheckpoint.Restored restored = (LearnerCheckpoint.Restored) r[0];
            assertEquals(FIRST, restored.counters(), where);
            assertEquals(dir.resolve("previous"), restored.from(), where);
            assertTrue(restored.fellBack(), where);
            assertTrue(restored.reason().contains(dir.resolve("latest").toString())
                    && restored.reason().contains("damaged"), where + ": " + restored.reason());
            assertArrayEquals(first, (byte[]) r[1], "the previous checkpoint's weights; " + where);
        }
    }

    @Test
    void aMissingLatestFallsBackToThePrevious() throws IOException {
        Path dir = root.resolve("ck");
        save(dir, 1, FIRST);
        save(dir, 2, SECOND);
        Files.move(dir.resolve("latest"), dir.resolve("latest.tmp")); // as if a crash came between the renames
        LearnerCheckpoint.Restored r = (LearnerCheckpoint.Restored) restore(dir)[0];
        assertEquals(FIRST, r.counters());
        assertTrue(r.fellBack() && r.reason().contains("missing"), r.reason());
    }

    @Test
    void neitherReadableIsAnErrorNamingBoth() throws IOException {
        Path dir = root.resolve("ck");
        save(dir, 1, FIRST);
        save(dir, 2, SECOND);
        for (String which : List.of("latest", "previous")) {
            Files.write(dir.resolve(which).resolve("optimizer.bin"), new byte[] {0});
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> restore(dir));
        assertTrue(e.getMessage().contains(dir.resolve("latest") + " cannot be loaded")
                && e.getMessage().contains(dir.resolve("previous") + " cannot be loaded"), e.getMessage());
    }

    /**
     * A policy kept alone ({@code checkpoints/best}): weights and counters read back exactly, a second one replaces
     * the first whole, a damaged file is found by the manifest, and the learner's own checkpoints are left as they are.
     */
    @Test
    void aPolicyKeptAloneIsReadBackExactlyAndReplacedWhole() throws IOException {
        Path dir = root.resolve("ck");
        byte[] latest = save(dir, 1, FIRST);
        Path best = dir.resolve("best");
        PolicyWeights a = new PolicyWeights("mlp-a", 7, new byte[] {1, 2, 3, 4});
        LearnerCheckpoint.savePolicy(best, a, new LearnerCheckpoint.Counters(-1, 700, 7));
        LearnerCheckpoint.PolicyFiles read = LearnerCheckpoint.readPolicy(best);
        assertEquals("mlp-a", read.modelId());
        assertEquals(new LearnerCheckpoint.Counters(-1, 700, 7), read.counters());
        assertArrayEquals(a.bytes(), read.weights());
        assertFalse(Files.exists(best.resolve("optimizer.bin")), "no optimizer state in a policy kept alone");

        PolicyWeights b = new PolicyWeights("mlp-a", 9, new byte[] {9, 8, 7});
        LearnerCheckpoint.savePolicy(best, b, new LearnerCheckpoint.Counters(-1, 900, 9));
        read = LearnerCheckpoint.readPolicy(best);
        assertEquals(9, read.counters().policyVersion());
        assertArrayEquals(b.bytes(), read.weights());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of("best", "latest"), left.map(f -> f.getFileName().toString()).sorted().toList(),
                    "nothing left over beside the kept policy");
        }
        // the learner resumes from its own checkpoint, not from the kept policy
        assertArrayEquals(latest, (byte[]) restore(dir)[1]);

        Files.write(best.resolve("weights.trpw"), new byte[] {9, 8, 6});
        IOException damaged = assertThrows(IOException.class, () -> LearnerCheckpoint.readPolicy(best));
        assertTrue(damaged.getMessage().contains("weights.trpw is damaged"), damaged.getMessage());
    }

    @Test
    void noCheckpointIsEmpty() {
        try (PolicyModel m = PolicyModel.create(CARTPOLE, ModelConfig.mlp(16), 1, Device.cpu());
             Adam adam = Adam.withDefaults(m.parameters(), m.manager())) {
            assertTrue(LearnerCheckpoint.restore(root.resolve("none"), m, adam).isEmpty());
        }
    }
}
