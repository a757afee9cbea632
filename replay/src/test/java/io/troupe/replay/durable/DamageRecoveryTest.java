package io.troupe.replay.durable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.replay.Items;
import io.troupe.replay.table.RateLimiters;
import io.troupe.replay.table.Table;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage beyond a killed process: log segments and snapshots truncated or bit-flipped at random (seeded) offsets.
 * Recovery keeps every record that was confirmed before the damaged point (and every readable one after it) and
 * reports the rest: file, byte range and, where later records show it, the missing batches.
 */
class DamageRecoveryTest {
    private static final int BATCHES = 30;
    private static final int SNAPSHOT_ITEMS = 600; // three chunks: 256, 256, 88
    private static final int SEEDS = 10;

    private final LogFormat format = LogFormat.fromConfig(ConfigFactory.load());

    @TempDir
    Path root;

    private static Table table() {
        return Table.uniform("t", 10_000, RateLimiters.minSize(1));
    }

    private ShardStore open(Path base) {
        return ShardStore.open(base, "replay-0", Durability.WAL, format, 1 << 20);
    }

    /** A log of {@link #BATCHES} one-unroll batches, each synced (confirmed) before the next; returns the log. */
    private Path writeConfirmedLog(Path base) throws IOException {
        ShardStore store = open(base);
        Table t = table();
        store.recover(t);
        store.snapshot(ShardStore.State.of(t, Map.of()));
        appendConfirmed(store, t, 0, BATCHES);
        store.close();
        return file(base, "wal-");
    }

    private static void appendConfirmed(ShardStore store, Table t, int first, int n) {
        for (int i = first; i < first + n; i++) {
            Unroll u = Items.unroll(Items.CARTPOLE, "p", i, 4, 0, 0);
            store.append(new WalRecord.Insert("p", i + 1, new long[] {t.insert(u, 1)},
                    ExperienceBatch.of(List.of(u))));
            store.sync();
        }
    }

    /**
     * A snapshot of {@link #SNAPSHOT_ITEMS} items (producer p up to #600), then three confirmed batches in the log;
     * returns the snapshot.
     */
    private Path writeSnapshotAndLog(Path base) throws IOException {
        ShardStore store = open(base);
        Table t = table();
        store.recover(t);
        for (int i = 0; i < SNAPSHOT_ITEMS; i++) {
            t.insert(Items.unroll(Items.CARTPOLE, "p", i, 4, 0, 0), 1);
        }
        store.snapshot(ShardStore.State.of(t, Map.of("p", (long) SNAPSHOT_ITEMS)));
        appendConfirmed(store, t, SNAPSHOT_ITEMS, 3);
        store.close();
        return file(base, "snapshot-");
    }

    private static Path file(Path base, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(base.resolve("replay-0"))) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    /** Where each record frame of an undamaged file ends. */
    private static List<Long> frameEnds(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        List<Long> ends = new ArrayList<>();
        long pos = FileHeader.SIZE;
        while (pos + Frames.HEADER <= b.capacity()) {
            assertEquals(Frames.MARKER, b.getInt((int) pos));
            pos += Frames.HEADER + b.getInt((int) pos + 4);
            ends.add(pos);
        }
        return ends;
    }

    private static List<Long> sequences(Table t) {
        List<Long> out = new ArrayList<>();
        for (long k : t.keys()) {
            out.add(((Unroll) t.get(k).orElseThrow()).sequence());
        }
        return out;
    }

    private static List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }

    /** The index of the frame holding byte {@code at} (frames end at {@code ends}). */
    private static int frameOf(List<Long> ends, long at) {
        int k = 0;
        while (ends.get(k) <= at) {
            k++;
        }
        return k;
    }

    private static void flipBit(Path file, long at, int bit) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ (1 << bit));
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    @Test
    void aLogTruncatedAtRandomOffsetsKeepsEveryRecordBeforeTheCut() throws IOException {
        for (int seed = 1; seed <= SEEDS; seed++) {
            Path base = root.resolve("cut-" + seed);
            Path log = writeConfirmedLog(base);
            List<Long> ends = frameEnds(log);
            long cut = new SplittableRandom(seed).nextLong(1, Files.size(log));
            truncate(log, cut);
            Table t = table();
            RecoveryReport report = open(base).recover(t).report();
            long kept = ends.stream().filter(e -> e <= cut).count();
            String where = "seed " + seed + ", cut at " + cut + ": " + report.describe();
            assertEquals(range(0, kept), sequences(t), where);
            boolean atBoundary = ends.contains(cut) || cut == FileHeader.SIZE; // no record torn
            assertEquals(!atBoundary, report.corrupt(), where);
            if (!atBoundary) {
                RecoveryReport.Damage d = report.damage().get(0);
                assertEquals(log.toString(), d.file(), where);
                assertEquals(kept == 0 ? (cut < FileHeader.SIZE ? 0 : FileHeader.SIZE) : ends.get((int) kept - 1),
                        d.fromOffset(), where);
                assertEquals(cut, d.toOffset(), where);
            }
        }
    }

    @Test
    void aLogWithABitFlippedAtRandomOffsetsLosesOnlyTheDamagedRecord() throws IOException {
        for (int seed = 1; seed <= SEEDS; seed++) {
            Path base = root.resolve("flip-" + seed);
            Path log = writeConfirmedLog(base);
            List<Long> ends = frameEnds(log);
            SplittableRandom rng = new SplittableRandom(seed);
            long at = rng.nextLong(FileHeader.SIZE, Files.size(log));
            flipBit(log, at, rng.nextInt(8));
            Table t = table();
            ShardStore.Recovered r = open(base).recover(t);
            int k = frameOf(ends, at);
            String where = "seed " + seed + ", bit flipped at " + at + " (record " + k + "): "
                    + r.report().describe();
            List<Long> expected = new ArrayList<>(range(0, BATCHES));
            expected.remove((long) k);
            assertEquals(expected, sequences(t), where);
            assertEquals(1, r.report().damage().size(), where);
            RecoveryReport.Damage d = r.report().damage().get(0);
            assertEquals(log.toString(), d.file(), where);
            assertEquals(k == 0 ? FileHeader.SIZE : ends.get(k - 1), d.fromOffset(), where);
            assertEquals(ends.get(k), d.toOffset(), where);
            if (k < BATCHES - 1) {
                assertEquals(List.of(new RecoveryReport.Missing("p", k + 1, k + 1)), d.missing(), where);
            } else {
                assertEquals(List.of(), d.missing(), "a damaged last record: nothing after it tells; " + where);
            }
        }
    }

    /** A flipped bit in the magic cannot be told from a file of another format: refused, never misread. */
    @Test
    void aLogWithAFlippedMagicIsRefused() throws IOException {
        Path log = writeConfirmedLog(root);
        flipBit(log, 3, 0);
        FileHeader.FormatMismatch e = assertThrows(FileHeader.FormatMismatch.class,
                () -> open(root).recover(table()));
        assertTrue(e.getMessage().contains(log.toString()) && e.getMessage().contains("move the file away"),
                e.getMessage());
    }

    @Test
    void aSnapshotWithABitFlippedAtRandomOffsetsLosesOnlyTheDamagedChunk() throws IOException {
        for (int seed = 1; seed <= SEEDS; seed++) {
            Path base = root.resolve("snap-flip-" + seed);
            Path snapshot = writeSnapshotAndLog(base);
            List<Long> ends = frameEnds(snapshot); // header, three chunks, end
            assertEquals(5, ends.size());
            SplittableRandom rng = new SplittableRandom(seed);
            long at = rng.nextLong(FileHeader.SIZE, Files.size(snapshot));
            flipBit(snapshot, at, rng.nextInt(8));
            Table t = table();
            ShardStore.Recovered r = open(base).recover(t);
            int frame = frameOf(ends, at);
            String where = "seed " + seed + ", bit flipped at " + at + " (frame " + frame + "): "
                    + r.report().describe();
            List<Long> expected = new ArrayList<>(range(0, SNAPSHOT_ITEMS + 3));
            if (frame >= 1 && frame <= 3) {
                expected.removeAll(range(256L * (frame - 1), Math.min(SNAPSHOT_ITEMS, 256L * frame)));
            }
            assertEquals(expected, sequences(t), where);
            assertEquals(SNAPSHOT_ITEMS + 3, r.lastSeqNrs().get("p"), where);
            assertTrue(r.report().corrupt(), where);
            RecoveryReport.Damage d = r.report().damage().get(0);
            assertEquals(snapshot.toString(), d.file(), where);
            assertEquals(frame == 0 ? FileHeader.SIZE : ends.get(frame - 1), d.fromOffset(), where);
            assertEquals(3, r.report().replayedInserts(), "the log after the snapshot is replayed; " + where);
        }
    }

    /**
     * A crash after a new snapshot was renamed into place but before the older one and its log were deleted, and then
     * damage to the new one: recovery takes the older snapshot and the log after it, and loses nothing.
     */
    @Test
    void aDamagedNewestSnapshotFallsBackToAnOlderCompleteOneAndItsLog() throws IOException {
        Path older = root.resolve("older");
        Path log = writeConfirmedLog(older); // snapshot 1 (empty) and its log
        Path oldSnapshot = file(older, "snapshot-");
        byte[] oldSnapshotBytes = Files.readAllBytes(oldSnapshot);
        byte[] logBytes = Files.readAllBytes(log);
        ShardStore store = open(older);
        Table t = table();
        ShardStore.Recovered r = store.recover(t);
        store.snapshot(ShardStore.State.of(t, r.lastSeqNrs())); // snapshot 2, the older files deleted
        store.close();
        Path newest = file(older, "snapshot-");
        Files.write(oldSnapshot, oldSnapshotBytes); // as if the crash came before the deletes
        Files.write(log, logBytes);
        flipBit(newest, frameEnds(newest).get(1) - 5, 2); // in its first chunk
        Table again = table();
        RecoveryReport report = open(older).recover(again).report();
        assertEquals(range(0, BATCHES), sequences(again), report.describe());
        assertEquals(oldSnapshot.getFileName().toString(), report.snapshotFile());
        assertEquals(newest.toString(), report.damage().get(0).file());
    }

    @Test
    void aSnapshotTruncatedAtRandomOffsetsKeepsEveryChunkBeforeTheCut() throws IOException {
        for (int seed = 1; seed <= SEEDS; seed++) {
            Path base = root.resolve("snap-cut-" + seed);
            Path snapshot = writeSnapshotAndLog(base);
            List<Long> ends = frameEnds(snapshot);
            long cut = new SplittableRandom(seed).nextLong(1, ends.get(ends.size() - 1));
            truncate(snapshot, cut);
            Table t = table();
            RecoveryReport report = open(base).recover(t).report();
            int chunksKept = (int) ends.subList(1, 4).stream().filter(e -> e <= cut).count();
            List<Long> expected = new ArrayList<>(range(0, Math.min(SNAPSHOT_ITEMS, 256L * chunksKept)));
            expected.addAll(range(SNAPSHOT_ITEMS, SNAPSHOT_ITEMS + 3));
            String where = "seed " + seed + ", cut at " + cut + ": " + report.describe();
            assertEquals(expected, sequences(t), where);
            assertTrue(report.corrupt(), where);
            assertEquals(snapshot.toString(), report.damage().get(0).file(), where);
            assertFalse(report.damage().get(0).reason().isEmpty(), where);
        }
    }
}
