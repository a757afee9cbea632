package io.troupe.replay.durable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.replay.Items;
import io.troupe.replay.table.RateLimiters;
import io.troupe.replay.table.Table;
import io.troupe.transport.wire.KryoRegistrations;
import io.troupe.transport.wire.TroupeKryo;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardStoreTest {
    private final TroupeKryo kryo = new TroupeKryo(KryoRegistrations.fromConfig(ConfigFactory.load()), null);

    @TempDir
    Path root;

    private static Table table() {
        return Table.uniform("t", 1000, RateLimiters.minSize(1));
    }

    /** File offsets where each record written by {@link #writeLog} ends. */
    private final List<Long> ends = new ArrayList<>();

    /** Writes {@code batches} one-unroll batches through a table and the log, as a shard does; returns the log file. */
    private Path writeLog(int batches) throws Exception {
        ShardStore store = ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20);
        Table t = table();
        store.recover(t);
        store.snapshot(t, Map.of());
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

    private static List<Long> sequences(Table t) {
        List<Long> out = new ArrayList<>();
        for (long k : t.keys()) {
            out.add(((Unroll) t.get(k).orElseThrow()).sequence());
        }
        return out;
    }

    /** One shard instance's life: recover, the shard's fresh-log snapshot, {@code batches} stored, then handoff or crash. */
    private void instance(int first, int batches, boolean handoff) {
        ShardStore store = ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20);
        Table t = table();
        ShardStore.Recovered r = store.recover(t);
        Map<String, Long> last = new java.util.HashMap<>(r.lastSeqNrs());
        store.snapshot(t, last); // as ReplayShard does after recovering
        for (int i = first; i < first + batches; i++) {
            Unroll u = Items.unroll(Items.CARTPOLE, "p", i, 8, 0, 0);
            long key = t.insert(u, 1);
            store.append(new WalRecord.Insert("p", i + 1, new long[] {key}, ExperienceBatch.of(List.of(u))));
            last.put("p", (long) i + 1);
        }
        store.sync();
        if (handoff) {
            store.snapshot(t, last); // a handoff leaves a compact state for the next host
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
        ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20).recover(t);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L), sequences(t));
    }

    @Test
    void logReplaysIntoAFreshTable() throws Exception {
        writeLog(3);
        ShardStore store = ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20);
        Table t = table();
        ShardStore.Recovered r = store.recover(t);
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
        RecoveryReport report = ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20).recover(t).report();
        assertTrue(report.corrupt(), report.describe());
        assertEquals(log.toString(), report.corruptFile());
        assertEquals(ends.get(1), report.corruptOffset(), report.describe());
        assertTrue(report.corruptReason().contains("runs past the end"), report.corruptReason());
        assertEquals(List.of(0L, 1L), sequences(t), "everything before the torn record is kept");
        assertEquals(ends.get(1), Files.size(log), "the torn tail is cut off");
    }

    @Test
    void aFlippedByteFailsTheChecksum() throws Exception {
        Path log = writeLog(3);
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
            long at = (ends.get(0) + ends.get(1)) / 2; // inside the second record's payload
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0xFF);
        }
        Table t = table();
        RecoveryReport report = ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20).recover(t).report();
        assertEquals("checksum mismatch", report.corruptReason());
        assertEquals(ends.get(0), report.corruptOffset());
        assertEquals(List.of(0L), sequences(t));
    }

    @Test
    void snapshotCompactsTheLog() throws Exception {
        writeLog(4);
        ShardStore store = ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20);
        Table t = table();
        store.recover(t);
        store.snapshot(t, Map.of("p", 4L));
        try (Stream<Path> files = Files.list(root.resolve("replay-0"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(1, names.size(), names.toString());
            assertTrue(names.get(0).startsWith("snapshot-"), names.toString());
        }
        Table again = table();
        ShardStore.Recovered r = ShardStore.open(root, "replay-0", Durability.WAL, kryo, 1 << 20).recover(again);
        assertEquals(List.of(0L, 1L, 2L, 3L), sequences(again));
        assertEquals(4L, r.lastSeqNrs().get("p"));
        assertEquals(4, r.report().snapshotItems());
    }
}
