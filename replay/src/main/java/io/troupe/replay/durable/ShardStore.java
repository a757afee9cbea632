package io.troupe.replay.durable;

import io.troupe.core.experience.ReplayItem;
import io.troupe.replay.table.Table;
import io.troupe.replay.table.TableSnapshot;
import io.troupe.transport.wire.TroupeKryo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * A replay shard's files in {@code <root>/<shardId>/}: snapshots {@code snapshot-N.bin} and log segments
 * {@code wal-N.log}. A snapshot numbered N holds everything logged in segments before N; recovery loads the newest
 * readable snapshot and replays segments N, N+1, ... Every record is {@code [int length][int crc32][kryo bytes]}, so
 * a torn or corrupt tail is detected, reported with its file and offset, and cut off, keeping everything before it.
 * Not thread-safe: one shard actor owns it.
 */
public final class ShardStore implements AutoCloseable {
    private static final Pattern SEGMENT = Pattern.compile("wal-(\\d{12})\\.log");
    private static final Pattern SNAPSHOT = Pattern.compile("snapshot-(\\d{12})\\.bin");
    private static final int HEADER = 8;
    /** Items per snapshot record. */
    private static final int SNAPSHOT_CHUNK = 256;

    /** The result of recovery: the highest stored sequence number per producer, and what was found. */
    public record Recovered(Map<String, Long> lastSeqNrs, RecoveryReport report) {
    }

    private final Path dir;
    private final Durability mode;
    private final TroupeKryo kryo;
    private final long segmentBytes;
    private final ByteBuffer header = ByteBuffer.allocate(HEADER);
    private final CRC32 crc = new CRC32();
    private FileChannel segment;
    private long segmentIndex;
    private long segmentSize;
    private long bytesSinceSnapshot;
    private boolean dirty;

    private ShardStore(Path dir, Durability mode, TroupeKryo kryo, long segmentBytes) {
        this.dir = dir;
        this.mode = mode;
        this.kryo = kryo;
        this.segmentBytes = segmentBytes;
    }

    /** The store of {@code shardId} under {@code root} (created if missing; unused in mode NONE). */
    public static ShardStore open(Path root, String shardId, Durability mode, TroupeKryo kryo, long segmentBytes) {
        Path dir = root.resolve(shardId);
        if (mode != Durability.NONE) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create replay directory " + dir + ": " + e.getMessage(), e);
            }
        }
        return new ShardStore(dir, mode, kryo, segmentBytes);
    }

    public Durability mode() {
        return mode;
    }

    public Path directory() {
        return dir;
    }

    /** Log bytes written since the last snapshot. */
    public long bytesSinceSnapshot() {
        return bytesSinceSnapshot;
    }

    // ------------------------------------------------------------------ recovery

    /**
     * Loads the newest readable snapshot into the empty {@code table} and replays the log after it. The table's delete
     * listener must not log during recovery. Call {@link #snapshot} afterwards to start a fresh log.
     */
    public Recovered recover(Table table) {
        Map<String, Long> lastSeq = new HashMap<>();
        if (mode == Durability.NONE) {
            return new Recovered(lastSeq, RecoveryReport.empty());
        }
        Map<Long, Long> keyMap = new HashMap<>();
        String snapshotName = "";
        long snapshotItems = 0;
        long fromSegment = 0;
        String corruptFile = "";
        long corruptOffset = -1;
        String corruptReason = "";
        for (Map.Entry<Long, Path> e : numbered(SNAPSHOT, true).entrySet()) {
            try {
                LoadedSnapshot snap = readSnapshot(e.getValue());
                long[] newKeys = table.restore(snap.table());
                for (int i = 0; i < newKeys.length; i++) {
                    keyMap.put(snap.keys()[i], newKeys[i]);
                }
                lastSeq.putAll(snap.lastSeqNrs());
                snapshotName = e.getValue().getFileName().toString();
                snapshotItems = snap.table().items().size();
                fromSegment = e.getKey();
                break;
            } catch (IOException | RuntimeException ex) {
                corruptFile = e.getValue().toString();
                corruptOffset = 0;
                corruptReason = "unreadable snapshot (" + ex.getMessage() + "), trying an older one";
            }
        }
        long inserts = 0;
        long removes = 0;
        List<Path> segments = new ArrayList<>();
        for (Map.Entry<Long, Path> e : numbered(SEGMENT, false).entrySet()) {
            if (e.getKey() >= fromSegment) {
                segments.add(e.getValue());
            }
        }
        // this instance numbers its segments and snapshots above everything it recovered from
        segmentIndex = Math.max(segmentIndex, Math.max(fromSegment, highest(SEGMENT)));
        outer:
        for (Path file : segments) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = ch.size();
                long offset = 0;
                while (offset < size) {
                    String problem = null;
                    Object record = null;
                    if (size - offset < HEADER) {
                        problem = "truncated record header";
                    } else {
                        ByteBuffer h = ByteBuffer.allocate(HEADER);
                        ch.read(h, offset);
                        h.flip();
                        int length = h.getInt();
                        int checksum = h.getInt();
                        if (length < 0 || length > size - offset - HEADER) {
                            problem = "record length " + length + " runs past the end of the file";
                        } else {
                            ByteBuffer body = ByteBuffer.allocate(length);
                            ch.read(body, offset + HEADER);
                            CRC32 c = new CRC32();
                            c.update(body.array(), 0, length);
                            if ((int) c.getValue() != checksum) {
                                problem = "checksum mismatch";
                            } else {
                                try {
                                    record = kryo.fromBytes(body.array(), 0, length);
                                } catch (RuntimeException ex) {
                                    problem = "undecodable record: " + ex.getMessage();
                                }
                            }
                            if (problem == null) {
                                offset += HEADER + length;
                            }
                        }
                    }
                    if (problem != null) {
                        corruptFile = file.toString();
                        corruptOffset = offset;
                        corruptReason = problem;
                        ch.truncate(offset);
                        break outer;
                    }
                    if (record instanceof WalRecord.Insert ins) {
                        List<ReplayItem> items = ins.batch().items();
                        for (int i = 0; i < items.size(); i++) {
                            long newKey = table.insertRecovered(items.get(i), ins.batch().priorities()[i]);
                            keyMap.put(ins.keys()[i], newKey);
                        }
                        lastSeq.merge(ins.producerId(), ins.seqNr(), Math::max);
                        inserts++;
                    } else if (record instanceof WalRecord.Remove rem) {
                        long[] mapped = new long[rem.keys().length];
                        for (int i = 0; i < mapped.length; i++) {
                            mapped[i] = keyMap.getOrDefault(rem.keys()[i], -1L);
                        }
                        table.delete(mapped);
                        removes++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read replay log " + file + ": " + e.getMessage(), e);
            }
        }
        return new Recovered(lastSeq, new RecoveryReport(snapshotName, snapshotItems, inserts, removes, corruptFile,
                corruptOffset, corruptReason));
    }

    private record LoadedSnapshot(TableSnapshot table, long[] keys, Map<String, Long> lastSeqNrs) {
    }

    private LoadedSnapshot readSnapshot(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long offset = 0;
            ShardSnapshot.Header header = null;
            List<ReplayItem> items = new ArrayList<>();
            LongList keys = new LongList();
            LongList sequences = new LongList();
            List<Double> priorities = new ArrayList<>();
            List<Integer> times = new ArrayList<>();
            while (offset < size) {
                ByteBuffer h = ByteBuffer.allocate(HEADER);
                ch.read(h, offset);
                h.flip();
                if (h.remaining() < HEADER) {
                    throw new IOException("truncated at offset " + offset);
                }
                int length = h.getInt();
                int checksum = h.getInt();
                if (length < 0 || length > size - offset - HEADER) {
                    throw new IOException("record at offset " + offset + " runs past the end");
                }
                ByteBuffer body = ByteBuffer.allocate(length);
                ch.read(body, offset + HEADER);
                CRC32 c = new CRC32();
                c.update(body.array(), 0, length);
                if ((int) c.getValue() != checksum) {
                    throw new IOException("checksum mismatch at offset " + offset);
                }
                offset += HEADER + length;
                Object record = kryo.fromBytes(body.array(), 0, length);
                if (record instanceof ShardSnapshot.Header hd) {
                    header = hd;
                } else if (record instanceof ShardSnapshot.Chunk chunk) {
                    items.addAll(chunk.items());
                    for (int i = 0; i < chunk.keys().length; i++) {
                        keys.add(chunk.keys()[i]);
                        sequences.add(chunk.sequences()[i]);
                        priorities.add(chunk.priorities()[i]);
                        times.add(chunk.timesSampled()[i]);
                    }
                } else if (record instanceof ShardSnapshot.End end) {
                    if (header == null || end.items() != items.size() || header.items() != items.size()) {
                        throw new IOException("incomplete snapshot: " + items.size() + " items read");
                    }
                    Map<String, Long> lastSeq = new HashMap<>();
                    for (int i = 0; i < header.producers().size(); i++) {
                        lastSeq.put(header.producers().get(i), header.lastSeqNrs()[i]);
                    }
                    TableSnapshot ts = new TableSnapshot(header.table(), items, sequences.toArray(),
                            priorities.stream().mapToDouble(Double::doubleValue).toArray(),
                            times.stream().mapToInt(Integer::intValue).toArray(), header.inserts(), header.samples(),
                            header.deletes(), header.nextSequence());
                    return new LoadedSnapshot(ts, keys.toArray(), lastSeq);
                }
            }
            throw new IOException("snapshot has no end record");
        }
    }

    /** A growable long array. */
    private static final class LongList {
        private long[] a = new long[16];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    private Map<Long, Path> numbered(Pattern pattern, boolean newestFirst) {
        Map<Long, Path> found = new java.util.TreeMap<>(newestFirst ? Collections.reverseOrder() : null);
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                Matcher m = pattern.matcher(p.getFileName().toString());
                if (m.matches()) {
                    found.put(Long.parseLong(m.group(1)), p);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return new LinkedHashMap<>(found);
    }

    // ------------------------------------------------------------------ logging

    /** Appends a stored batch (mode WAL); durable after the next {@link #sync()}. */
    public void append(WalRecord record) {
        if (mode != Durability.WAL) {
            return;
        }
        byte[] body = kryo.toBytes(record);
        try {
            if (segment == null || segmentSize >= segmentBytes) {
                rollSegment();
            }
            crc.reset();
            crc.update(body);
            header.clear();
            header.putInt(body.length).putInt((int) crc.getValue()).flip();
            ByteBuffer payload = ByteBuffer.wrap(body);
            while (header.hasRemaining() || payload.hasRemaining()) {
                segment.write(new ByteBuffer[] {header, payload});
            }
            segmentSize += HEADER + body.length;
            bytesSinceSnapshot += HEADER + body.length;
            dirty = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to replay log in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Makes every appended record durable (one fsync for the whole group). */
    public void sync() {
        if (segment == null || !dirty) {
            return;
        }
        try {
            segment.force(false);
            dirty = false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync replay log in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void rollSegment() throws IOException {
        if (segment != null) {
            segment.force(false);
            segment.close();
        }
        segmentIndex++;
        Path file = dir.resolve(String.format("wal-%012d.log", segmentIndex));
        segment = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        segmentSize = segment.size();
    }

    /**
     * Writes a snapshot of {@code table} and the dedupe state, then deletes the log segments and snapshots it
     * replaces. After it, the log continues in a fresh segment.
     */
    public void snapshot(Table table, Map<String, Long> lastSeqNrs) {
        if (mode == Durability.NONE) {
            return;
        }
        try {
            // above every segment and snapshot on disk: a new snapshot must outrank the log written before it, or a
            // later recovery would start from a stale snapshot and skip that log
            long next = Math.max(segmentIndex, Math.max(highest(SEGMENT), highest(SNAPSHOT))) + 1;
            if (segment != null) {
                segment.force(false);
                segment.close();
                segment = null;
            }
            segmentIndex = next - 1; // the next append opens segment `next`
            TableSnapshot ts = table.snapshot();
            long[] keys = table.keys();
            List<String> producers = new ArrayList<>(lastSeqNrs.keySet());
            long[] seqs = new long[producers.size()];
            for (int i = 0; i < seqs.length; i++) {
                seqs[i] = lastSeqNrs.get(producers.get(i));
            }
            Path tmp = dir.resolve("snapshot.tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                int n = ts.items().size();
                writeRecord(ch, new ShardSnapshot.Header(ts.name(), ts.inserts(), ts.samples(), ts.deletes(),
                        ts.nextSequence(), n, producers, seqs));
                for (int from = 0; from < n; from += SNAPSHOT_CHUNK) {
                    int to = Math.min(n, from + SNAPSHOT_CHUNK);
                    writeRecord(ch, new ShardSnapshot.Chunk(ts.items().subList(from, to),
                            java.util.Arrays.copyOfRange(keys, from, to),
                            java.util.Arrays.copyOfRange(ts.sequences(), from, to),
                            java.util.Arrays.copyOfRange(ts.priorities(), from, to),
                            java.util.Arrays.copyOfRange(ts.timesSampled(), from, to)));
                }
                writeRecord(ch, new ShardSnapshot.End(n));
                ch.force(true);
            }
            Path target = dir.resolve(String.format("snapshot-%012d.bin", next));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            for (Map.Entry<Long, Path> e : numbered(SEGMENT, false).entrySet()) {
                if (e.getKey() < next) {
                    Files.deleteIfExists(e.getValue());
                }
            }
            for (Map.Entry<Long, Path> e : numbered(SNAPSHOT, false).entrySet()) {
                if (e.getKey() < next) {
                    Files.deleteIfExists(e.getValue());
                }
            }
            bytesSinceSnapshot = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write replay snapshot in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void writeRecord(FileChannel ch, Object record) throws IOException {
        byte[] body = kryo.toBytes(record);
        CRC32 c = new CRC32();
        c.update(body);
        ByteBuffer out = ByteBuffer.allocate(HEADER + body.length);
        out.putInt(body.length).putInt((int) c.getValue()).put(body).flip();
        while (out.hasRemaining()) {
            ch.write(out);
        }
    }

    private long highest(Pattern pattern) {
        long max = 0;
        for (long k : numbered(pattern, false).keySet()) {
            max = Math.max(max, k);
        }
        return max;
    }

    @Override
    public void close() {
        if (segment != null) {
            try {
                segment.force(false);
                segment.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close replay log in " + dir, e);
            } finally {
                segment = null;
            }
        }
    }
}
