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
import io.troupe.transport.wire.KryoRegistrations;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardStoreTest {
    private final LogFormat format = LogFormat.fromConfig(ConfigFactory.load());

    @TempDir
    Path root;

    private static Table table() {
        return Table.uniform("t", 1000, RateLimiters.minSize(1));
    }

    /** File offsets where each record written by {@link #writeLog} ends. */
    private final List<Long> ends = new ArrayList<>();

    private ShardStore open() {
        return ShardStore.open(root, "replay-0", Durability.WAL, format, 1 << 20);
    }

    /** Writes {@code batches} one-unroll batches through a table and the log, as a shard does; returns the log file. */
    private Path writeLog(int batches) throws Exception {
        ShardStore store = open();
        Table t = table();
        store.recover(t);
        store.snapshot(ShardStore.State.of(t, Map.of()));
        for (int i = 0; i < batches; i++) {
            Unroll u = Items.unroll(Items.CARTPOLE, "p", i, 8, 0, 0);
            long key = t.insert(u, 1);
            store.append(new WalRecord.Insert("p", i + 1, new long[] {key}, ExperienceBatch.of(List.of(u))));
            ends.add(Files.size(logFile()));
        }
        store.sync();
        store.close(); // no snapshot: the content lives in the log only
        return logFile();
    }

    private Path logFile() throws Exception {
        try (Stream<Path> files = Files.list(root.resolve("replay-0"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("wal-")).findFirst().orElseThrow();
        }
    }

    private Path snapshotFile() throws Exception {
        try (Stream<Path> files = Files.list(root.resolve("replay-0"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("snapshot-")).findFirst().orElseThrow();
        }
    }

    private static List<Long> sequences(Table t) {
        List<Long> out = new ArrayList<>();
        for (long k : t.keys()) {
            out.add(((Unroll) t.get(k).orElseThrow()).sequence());
        }
        return out;
    }

    /** One shard instance's life: recover, the shard's fresh-log snapshot, {@code batches} stored, then handoff or crash. */
    private void instance(int first, int batches, boolean handoff) {
        ShardStore store = open();
        Table t = table();
        ShardStore.Recovered r = store.recover(t);
        Map<String, Long> last = new HashMap<>(r.lastSeqNrs());
        store.snapshot(ShardStore.State.of(t, last)); // as ReplayShard does after recovering
        for (int i = first; i < first + batches; i++) {
            Unroll u = Items.unroll(Items.CARTPOLE, "p", i, 8, 0, 0);
            long key = t.insert(u, 1);
            store.append(new WalRecord.Insert("p", i + 1, new long[] {key}, ExperienceBatch.of(List.of(u))));
            last.put("p", (long) i + 1);
        }
        store.sync();
        if (handoff) {
            store.snapshot(ShardStore.State.of(t, last)); // a handoff leaves a compact state for the next host
            store.close();
        } // else: killed, the log is all there is
    }

    /**
     * A shard handed off, recovered elsewhere, stored more, and was killed: the next instance has everything. (The
     * handoff snapshot's number must not outrank the new instance's log: it once did, and recovery then ignored the
     * log of the instance that was killed, losing batches it had confirmed.)
     */
    @Test
    void aRecoveryAfterAHandoffAndACrashKeepsEverything() throws Exception {
        instance(0, 5, true);   // first host, handed off (snapshot, no later segment)
        instance(5, 3, true);   // second host, handed off again
        instance(8, 4, false);  // third host, killed
        Table t = table();
        open().recover(t);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L), sequences(t));
    }

    @Test
    void logReplaysIntoAFreshTable() throws Exception {
        writeLog(3);
        Table t = table();
        ShardStore.Recovered r = open().recover(t);
        assertEquals(List.of(0L, 1L, 2L), sequences(t));
        assertEquals(3L, r.lastSeqNrs().get("p"));
        assertEquals(3, r.report().replayedInserts());
        assertFalse(r.report().corrupt());
    }

    @Test
    void aTornLastRecordIsReportedWithFileAndOffsetAndCutOff() throws Exception {
        Path log = writeLog(3);
        long fullSize = Files.size(log);
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
            f.setLength(fullSize - 10); // a crash in the middle of writing the third record
        }
        Table t = table();
        RecoveryReport report = open().recover(t).report();
        assertEquals(1, report.damage().size(), report.describe());
        RecoveryReport.Damage d = report.damage().get(0);
        assertEquals(log.toString(), d.file());
        assertEquals(ends.get(1), d.fromOffset(), report.describe());
        assertEquals(fullSize - 10, d.toOffset(), report.describe());
        assertTrue(d.reason().contains("runs past the end"), d.reason());
        assertEquals(List.of(), d.missing(), "nothing after a torn tail is known");
        assertEquals(List.of(0L, 1L), sequences(t), "everything before the torn record is kept");
        assertEquals(ends.get(1), Files.size(log), "the torn tail is cut off");
    }

    /**
     * A damaged record in the middle of the log loses that record only: recovery finds the next record whose checksum
     * passes and reports the gap (file, byte range, producer and sequence numbers). It once dropped everything after
     * the damage.
     */
    @Test
    void aCorruptRecordInTheMiddleLosesOnlyThatRecordAndReportsTheGap() throws Exception {
        Path log = writeLog(4);
        flipByte(log, (ends.get(0) + ends.get(1)) / 2); // inside the second record's payload
        Table t = table();
        ShardStore.Recovered r = open().recover(t);
        assertEquals(List.of(0L, 2L, 3L), sequences(t), "the records after the damage are kept");
        assertEquals(4L, r.lastSeqNrs().get("p"));
        assertEquals(List.of(new RecoveryReport.Damage(log.toString(), ends.get(0), ends.get(1), "checksum mismatch",
                List.of(new RecoveryReport.Missing("p", 2, 2)))), r.report().damage());
        assertTrue(r.report().describe().contains("missing batches p #2"), r.report().describe());
        assertEquals(r.report(), format.kryo().fromBytes(format.kryo().toBytes(r.report())),
                "the report crosses nodes in ReplayShard.Stats");
    }

    /** Damage in one segment does not drop the segments after it. */
    @Test
    void damageInOneSegmentKeepsTheLaterSegments() throws Exception {
        ShardStore store = ShardStore.open(root, "replay-0", Durability.WAL, format, 1024); // a segment per batch
        Table t = table();
        store.recover(t);
        store.snapshot(ShardStore.State.of(t, Map.of()));
        for (int i = 0; i < 4; i++) {
            Unroll u = Items.unroll(Items.CARTPOLE, "p", i, 32, 0, 0); // over 1 KiB
            store.append(new WalRecord.Insert("p", i + 1, new long[] {t.insert(u, 1)},
                    ExperienceBatch.of(List.of(u))));
        }
        store.sync();
        store.close();
        List<Path> segments;
        try (Stream<Path> files = Files.list(root.resolve("replay-0"))) {
            segments = files.filter(p -> p.getFileName().toString().startsWith("wal-")).sorted().toList();
        }
        assertEquals(4, segments.size());
        try (RandomAccessFile f = new RandomAccessFile(segments.get(1).toFile(), "rw")) {
            f.setLength(FileHeader.SIZE + 20); // the second segment's record torn
        }
        Table again = table();
        RecoveryReport report = open().recover(again).report();
        assertEquals(List.of(0L, 2L, 3L), sequences(again));
        assertEquals(List.of(new RecoveryReport.Missing("p", 2, 2)), report.damage().get(0).missing());
        assertEquals(segments.get(1).toString(), report.damage().get(0).file());
    }

    @Test
    void snapshotCompactsTheLog() throws Exception {
        writeLog(4);
        ShardStore store = open();
        Table t = table();
        store.recover(t);
        store.snapshot(ShardStore.State.of(t, Map.of("p", 4L)));
        try (Stream<Path> files = Files.list(root.resolve("replay-0"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(1, names.size(), names.toString());
            assertTrue(names.get(0).startsWith("snapshot-"), names.toString());
        }
        Table again = table();
        ShardStore.Recovered r = open().recover(again);
        assertEquals(List.of(0L, 1L, 2L, 3L), sequences(again));
        assertEquals(4L, r.lastSeqNrs().get("p"));
        assertEquals(4, r.report().snapshotItems());
    }

    // ------------------------------------------------------------------ directory fsyncs

    /** Records each fsync with what the directory held at that moment (it delegates to the real one). */
    private static final class RecordingFsync implements Fsync {
        final List<String> events = new ArrayList<>();

        @Override
        public void file(FileChannel ch, boolean metadata) throws IOException {
            events.add("file");
            REAL.file(ch, metadata);
        }

        @Override
        public void directory(Path dir) throws IOException {
            try (Stream<Path> files = Files.list(dir)) {
                events.add("dir " + files.map(p -> p.getFileName().toString()).sorted().toList());
            }
            REAL.directory(dir);
        }
    }

    /**
     * The directory is fsynced after a segment is created (before its first sync returns), after a snapshot is
     * renamed into place and after the files it replaces are deleted; without it, a power loss can lose a file whose
     * content was fsynced.
     */
    @Test
    void theDirectoryIsSyncedAfterCreateRenameAndDelete() throws Exception {
        writeLog(2); // wal-000000000001.log after snapshot-000000000001.bin
        RecordingFsync fsync = new RecordingFsync();
        ShardStore store = ShardStore.open(root, "replay-0", Durability.WAL, format, 1 << 20, fsync);
        Table t = table();
        store.recover(t);
        store.snapshot(ShardStore.State.of(t, Map.of("p", 2L)));
        assertEquals(List.of("file",
                "dir [snapshot-000000000001.bin, snapshot-000000000002.bin, wal-000000000001.log]",
                "dir [snapshot-000000000002.bin]"), fsync.events, "after the rename, then after the deletes");
        fsync.events.clear();
        Unroll u = Items.unroll(Items.CARTPOLE, "p", 2, 8, 0, 0);
        store.append(new WalRecord.Insert("p", 3, new long[] {t.insert(u, 1)}, ExperienceBatch.of(List.of(u))));
        store.sync();
        assertEquals(List.of("dir [snapshot-000000000002.bin, wal-000000000002.log]", "file"), fsync.events,
                "the new segment's entry, then its content");
        store.close();
    }

    // ------------------------------------------------------------------ headers

    @Test
    void everyFileStartsWithAHeaderNamingItsKindVersionAndRegistrations() throws Exception {
        Path log = writeLog(1);
        for (Path file : List.of(log, snapshotFile())) {
            ByteBuffer h = ByteBuffer.wrap(Arrays.copyOf(Files.readAllBytes(file), FileHeader.SIZE));
            FileHeader.Kind kind = file.equals(log) ? FileHeader.Kind.LOG : FileHeader.Kind.SNAPSHOT;
            assertEquals(null, FileHeader.check(file, h, kind, format.fingerprint()));
            assertEquals(FileHeader.VERSION, h.getInt(8));
            assertEquals(format.fingerprint(), h.getLong(12));
        }
    }

    /** A log of the format before headers (records from its first byte) is refused, not read. */
    @Test
    void aFileOfAnotherFormatIsRefusedNamingItAndWhatWasExpected() throws Exception {
        Path log = writeLog(2);
        byte[] bytes = Files.readAllBytes(log);
        Files.write(log, Arrays.copyOfRange(bytes, FileHeader.SIZE, bytes.length)); // records only, as before
        FileHeader.FormatMismatch e = assertThrows(FileHeader.FormatMismatch.class, () -> open().recover(table()));
        assertTrue(e.getMessage().contains(log.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("expected magic \"TROUPEWL\""), e.getMessage());
        assertTrue(e.getMessage().contains("found"), e.getMessage());
        assertEquals(bytes.length - FileHeader.SIZE, Files.size(log), "a refused file is left as it was");
    }

    @Test
    void aFileOfAnotherVersionIsRefused() throws Exception {
        Path log = writeLog(1);
        rewriteHeader(log, h -> h.putInt(8, 7));
        FileHeader.FormatMismatch e = assertThrows(FileHeader.FormatMismatch.class, () -> open().recover(table()));
        assertTrue(e.getMessage().contains(log + " is a replay log of format version 7, this build reads version "
                + FileHeader.VERSION), e.getMessage());
    }

    @Test
    void filesWrittenWithOtherKryoRegistrationsAreRefused() throws Exception {
        writeLog(1);
        LogFormat other = new LogFormat(format.kryo(), format.fingerprint() ^ 1);
        FileHeader.FormatMismatch e = assertThrows(FileHeader.FormatMismatch.class,
                () -> ShardStore.open(root, "replay-0", Durability.WAL, other, 1 << 20).recover(table()));
        assertTrue(e.getMessage().contains(snapshotFile().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toHexString(format.fingerprint()))
                && e.getMessage().contains(Long.toHexString(format.fingerprint() ^ 1)), e.getMessage());
    }

    /** A header whose magic is intact but whose checksum fails is damage: the records behind it are still read. */
    @Test
    void aDamagedHeaderIsReportedAndTheRecordsBehindItAreKept() throws Exception {
        Path log = writeLog(3);
        flipByte(log, 14); // inside the fingerprint
        Table t = table();
        RecoveryReport report = open().recover(t).report();
        assertEquals(List.of(0L, 1L, 2L), sequences(t));
        assertEquals(new RecoveryReport.Damage(log.toString(), 0, FileHeader.SIZE,
                "damaged file header (checksum mismatch)", List.of()), report.damage().get(0));
    }

    @Test
    void theFingerprintIsStableAndFollowsTheRegistrations() {
        KryoRegistrations a = KryoRegistrations.fromConfig(ConfigFactory.load());
        assertEquals(a.fingerprint(), KryoRegistrations.fromConfig(ConfigFactory.load()).fingerprint());
        KryoRegistrations renumbered = KryoRegistrations.fromConfig(ConfigFactory.parseString(
                "troupe.serialization.kryo.registrations { \"io.troupe.replay.durable.WalRecord$Remove\" "
                        + "{ id = 299 } }").withFallback(ConfigFactory.load()));
        assertFalse(a.fingerprint() == renumbered.fingerprint());
    }

    // ------------------------------------------------------------------ entity ids

    /** Shard ids become directory names only after validation: none of these creates anything anywhere. */
    @Test
    void maliciousShardIdsAreRefusedAndCreateNothing() throws Exception {
        Path logs = root.resolve("logs");
        for (String id : List.of("..", ".", "../evil", "../../tmp/evil", "a/b", "/abs", "a\\b", "x\0y", "", "a b",
                "é", "replay-0/..")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ShardStore.open(logs, id, Durability.WAL, format, 1 << 20), id);
            assertTrue(e.getMessage().startsWith("replay shard id \"") && e.getMessage().contains("[A-Za-z0-9._-]"),
                    e.getMessage());
        }
        try (Stream<Path> all = Files.walk(root)) {
            assertEquals(List.of(root), all.toList(), "nothing was created, in or outside the log directory");
        }
        assertTrue(ShardStore.open(logs, "replay-0.a_b", Durability.WAL, format, 1 << 20).directory()
                .startsWith(logs));
    }

    // ------------------------------------------------------------------ helpers

    static void flipByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0xFF);
        }
    }

    /** Changes a file's header and gives it a valid checksum again. */
    private static void rewriteHeader(Path file, Consumer<ByteBuffer> change) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer h = ByteBuffer.wrap(bytes, 0, FileHeader.SIZE);
        change.accept(h);
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, FileHeader.SIZE - 4);
        h.putInt(FileHeader.SIZE - 4, (int) crc.getValue());
        Files.write(file, bytes);
    }
}
