package io.troupe.replay.durable;

import io.troupe.core.experience.ReplayItem;
import io.troupe.replay.table.Table;
import io.troupe.replay.table.TableSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A replay shard's files in {@code <root>/<shardId>/}: snapshots {@code snapshot-N.bin} and log segments
 * {@code wal-N.log}. A snapshot numbered N holds everything logged in segments before N; recovery loads the newest
 * complete snapshot and replays segments N, N+1, ...
 *
 * <p>Every file starts with a {@link FileHeader} (kind, format version, Kryo registrations fingerprint): a file of
 * another format is refused, never misread. Every record is a checksummed {@link Frames frame}: a damaged record is
 * reported with its file and byte range, and recovery goes on with the next record whose checksum passes, so damage
 * loses only what it covers (a torn tail is cut off). Creating a segment, renaming a snapshot into place and deleting
 * what it replaces are each followed by an fsync of the directory.
 *
 * <p>Not thread-safe: one owner at a time (the shard actor hands it to its blocking-I/O dispatcher task by task).
 */
public final class ShardStore implements AutoCloseable {
    private static final Pattern SEGMENT = Pattern.compile("wal-(\\d{12})\\.log");
    private static final Pattern SNAPSHOT = Pattern.compile("snapshot-(\\d{12})\\.bin");
    /** Items per snapshot record. */
    private static final int SNAPSHOT_CHUNK = 256;

    /** The result of recovery: the highest stored sequence number per producer, and what was found. */
    public record Recovered(Map<String, Long> lastSeqNrs, RecoveryReport report) {
    }

    /**
     * What a snapshot writes, captured by the table's owner (a copy: writing it may run on another thread while the
     * owner goes on).
     */
    public record State(TableSnapshot table, long[] keys, Map<String, Long> lastSeqNrs) {
        public static State of(Table table, Map<String, Long> lastSeqNrs) {
            return new State(table.snapshot(), table.keys(), Map.copyOf(lastSeqNrs));
        }
    }

    private final Path dir;
    private final Durability mode;
    private final LogFormat format;
    private final long segmentBytes;
    private final Fsync fsync;
    private FileChannel segment;
    private long segmentIndex;
    private long segmentSize;
    private long bytesSinceSnapshot;
    private boolean dirty;

    private ShardStore(Path dir, Durability mode, LogFormat format, long segmentBytes, Fsync fsync) {
        this.dir = dir;
        this.mode = mode;
        this.format = format;
        this.segmentBytes = segmentBytes;
        this.fsync = fsync;
    }

    /**
     * The store of {@code shardId} under {@code root} (created if missing; unused in mode NONE). A shard id that is
     * not a safe file name (see {@link SafeNames}) is refused before any file is touched.
     */
    public static ShardStore open(Path root, String shardId, Durability mode, LogFormat format, long segmentBytes) {
        return open(root, shardId, mode, format, segmentBytes, Fsync.REAL);
    }

    static ShardStore open(Path root, String shardId, Durability mode, LogFormat format, long segmentBytes,
                           Fsync fsync) {
        Path dir = root.resolve(SafeNames.requireSafe(shardId, "replay shard id"));
        if (mode != Durability.NONE) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create replay directory " + dir + ": " + e.getMessage(), e);
            }
        }
        return new ShardStore(dir, mode, format, segmentBytes, fsync);
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

    /** A damaged range being reported, with the batches found missing across it. */
    private static final class DamageBuilder {
        final String file;
        final long from;
        final long to;
        String reason;
        final List<RecoveryReport.Missing> missing = new ArrayList<>();

        DamageBuilder(Path file, long from, long to, String reason) {
            this.file = file.toString();
            this.from = from;
            this.to = to;
            this.reason = reason;
        }

        RecoveryReport.Damage build() {
            return new RecoveryReport.Damage(file, from, to, reason, missing);
        }
    }

    /**
     * Loads the newest complete snapshot into the empty {@code table} (or, when none is complete, what is readable
     * of the newest) and replays the log after it, reading past damaged records. The table's delete listener must not
     * log during recovery. Call {@link #snapshot} afterwards to start a fresh log. Throws
     * {@link FileHeader.FormatMismatch} when a file is of another format.
     */
    public Recovered recover(Table table) {
        Map<String, Long> lastSeq = new HashMap<>();
        if (mode == Durability.NONE) {
            return new Recovered(lastSeq, RecoveryReport.empty());
        }
        List<DamageBuilder> damage = new ArrayList<>();
        Map<Long, Long> keyMap = new HashMap<>();
        LoadedSnapshot chosen = null;
        LoadedSnapshot salvaged = null;
        for (Map.Entry<Long, Path> e : numbered(SNAPSHOT, true).entrySet()) {
            LoadedSnapshot snap = readSnapshot(e.getValue(), e.getKey());
            damage.addAll(snap.damage());
            if (snap.complete()) {
                chosen = snap;
                break;
            }
            if (salvaged == null) {
                salvaged = snap; // the newest, if no complete one is found: what is readable of it
            }
        }
        if (chosen == null) {
            chosen = salvaged;
        }
        String snapshotName = "";
        long snapshotItems = 0;
        long fromSegment = 0;
        boolean producersKnown = true;
        if (chosen != null) {
            long[] newKeys = table.restore(chosen.table());
            for (int i = 0; i < newKeys.length; i++) {
                keyMap.put(chosen.keys()[i], newKeys[i]);
            }
            lastSeq.putAll(chosen.lastSeqNrs());
            snapshotName = chosen.file().getFileName().toString();
            snapshotItems = chosen.table().items().size();
            fromSegment = chosen.index();
            producersKnown = chosen.producersKnown();
        }
        List<Path> segments = new ArrayList<>();
        for (Map.Entry<Long, Path> e : numbered(SEGMENT, false).entrySet()) {
            if (e.getKey() >= fromSegment) {
                segments.add(e.getValue());
            }
        }
        // this instance numbers its segments and snapshots above everything it recovered from
        segmentIndex = Math.max(segmentIndex, Math.max(fromSegment, highest(SEGMENT)));
        long inserts = 0;
        long removes = 0;
        DamageBuilder lastGap = null; // the latest damage in the log: later sequence jumps are attributed to it
        for (Path file : segments) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = ch.size();
                if (size == 0) {
                    continue; // created, header not yet written: nothing was ever confirmed in it
                }
                long offset = FileHeader.SIZE;
                if (size < FileHeader.SIZE) {
                    lastGap = new DamageBuilder(file, 0, size, "truncated file header");
                    damage.add(lastGap);
                    continue;
                }
                String headerProblem = FileHeader.check(file, readHeader(ch), FileHeader.Kind.LOG,
                        format.fingerprint());
                if (headerProblem != null) {
                    lastGap = new DamageBuilder(file, 0, FileHeader.SIZE, headerProblem);
                    damage.add(lastGap);
                }
                while (offset < size) {
                    Frames.Read read = Frames.readAt(ch, offset, size);
                    String problem;
                    if (read instanceof Frames.Frame frame) {
                        try {
                            Object record = format.kryo().fromBytes(frame.body());
                            if (record instanceof WalRecord.Insert ins) {
                                List<ReplayItem> items = ins.batch().items();
                                for (int i = 0; i < items.size(); i++) {
                                    keyMap.put(ins.keys()[i], table.insertRecovered(items.get(i),
                                            ins.batch().priorities()[i]));
                                }
                                Long before = lastSeq.get(ins.producerId());
                                long expected = (before == null ? 0 : before) + 1;
                                if (lastGap != null && ins.seqNr() > expected && (before != null || producersKnown)) {
                                    lastGap.missing.add(new RecoveryReport.Missing(ins.producerId(), expected,
                                            ins.seqNr() - 1));
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
                            } else {
                                throw new IllegalStateException("not a log record: " + record);
                            }
                            offset = frame.end();
                            continue;
                        } catch (RuntimeException ex) {
                            problem = "undecodable record: " + ex.getMessage();
                        }
                    } else {
                        problem = ((Frames.Bad) read).reason();
                    }
                    long next = Frames.resync(ch, offset + 1, size);
                    lastGap = new DamageBuilder(file, offset, next < 0 ? size : next, problem);
                    damage.add(lastGap);
                    if (next < 0) {
                        ch.truncate(offset); // a torn or damaged tail: nothing readable after it
                        break;
                    }
                    offset = next;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read replay log " + file + ": " + e.getMessage(), e);
            }
        }
        List<RecoveryReport.Damage> report = new ArrayList<>();
        for (DamageBuilder d : damage) {
            report.add(d.build());
        }
        return new Recovered(lastSeq, new RecoveryReport(snapshotName, snapshotItems, inserts, removes, report));
    }

    private record LoadedSnapshot(Path file, long index, TableSnapshot table, long[] keys,
                                  Map<String, Long> lastSeqNrs, boolean producersKnown, boolean complete,
                                  List<DamageBuilder> damage) {
    }

    private static ByteBuffer readHeader(FileChannel ch) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(FileHeader.SIZE);
        while (h.hasRemaining() && ch.read(h, h.position()) >= 0) {
            // positional reads until the header is full
        }
        return h.flip();
    }

    /**
     * Reads a snapshot, past damaged records: complete when its header, every chunk and its end record were read;
     * otherwise what was readable, with the damage.
     */
    private LoadedSnapshot readSnapshot(Path file, long index) {
        List<DamageBuilder> damage = new ArrayList<>();
        ShardSnapshot.Header header = null;
        ShardSnapshot.End end = null;
        List<ReplayItem> items = new ArrayList<>();
        LongList keys = new LongList();
        LongList sequences = new LongList();
        List<Double> priorities = new ArrayList<>();
        List<Integer> times = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long offset = FileHeader.SIZE;
            if (size < FileHeader.SIZE) {
                damage.add(new DamageBuilder(file, 0, size, "truncated file header"));
                offset = size;
            } else {
                String headerProblem = FileHeader.check(file, readHeader(ch), FileHeader.Kind.SNAPSHOT,
                        format.fingerprint());
                if (headerProblem != null) {
                    damage.add(new DamageBuilder(file, 0, FileHeader.SIZE, headerProblem));
                }
            }
            while (offset < size && end == null) {
                Frames.Read read = Frames.readAt(ch, offset, size);
                String problem;
                if (read instanceof Frames.Frame frame) {
                    try {
                        Object record = format.kryo().fromBytes(frame.body());
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
                        } else if (record instanceof ShardSnapshot.End e) {
                            end = e;
                        } else {
                            throw new IllegalStateException("not a snapshot record: " + record);
                        }
                        offset = frame.end();
                        continue;
                    } catch (RuntimeException ex) {
                        problem = "undecodable record: " + ex.getMessage();
                    }
                } else {
                    problem = ((Frames.Bad) read).reason();
                }
                long next = Frames.resync(ch, offset + 1, size);
                damage.add(new DamageBuilder(file, offset, next < 0 ? size : next, problem));
                offset = next < 0 ? size : next;
            }
            if (end == null && damage.isEmpty()) {
                damage.add(new DamageBuilder(file, offset, size, "snapshot has no end record"));
            }
        } catch (IOException e) {
            damage.add(new DamageBuilder(file, 0, -1, "unreadable: " + e.getMessage()));
        }
        boolean complete = damage.isEmpty() && header != null && end != null && end.items() == items.size()
                && header.items() == items.size();
        if (!complete && damage.isEmpty()) {
            damage.add(new DamageBuilder(file, 0, -1, "incomplete snapshot: " + items.size() + " items read"));
        }
        if (!complete) {
            DamageBuilder last = damage.get(damage.size() - 1);
            last.reason += header == null
                    ? " (snapshot header lost: " + items.size() + " items readable, deduplication state unknown)"
                    : " (" + items.size() + " of the snapshot's " + header.items() + " items readable)";
        }
        Map<String, Long> lastSeq = new HashMap<>();
        long nextSequence = 0;
        for (long s : sequences.toArray()) {
            nextSequence = Math.max(nextSequence, s + 1);
        }
        TableSnapshot ts;
        if (header != null) {
            for (int i = 0; i < header.producers().size(); i++) {
                lastSeq.put(header.producers().get(i), header.lastSeqNrs()[i]);
            }
            ts = new TableSnapshot(header.table(), items, sequences.toArray(), doubles(priorities), ints(times),
                    header.inserts(), header.samples(), header.deletes(), Math.max(nextSequence,
                    header.nextSequence()));
        } else {
            ts = new TableSnapshot("", items, sequences.toArray(), doubles(priorities), ints(times), items.size(), 0,
                    0, nextSequence);
        }
        return new LoadedSnapshot(file, index, ts, keys.toArray(), lastSeq, header != null, complete, damage);
    }

    private static double[] doubles(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A growable long array. */
    private static final class LongList {
        private long[] a = new long[16];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    private Map<Long, Path> numbered(Pattern pattern, boolean newestFirst) {
        Map<Long, Path> found = new TreeMap<>(newestFirst ? Collections.reverseOrder() : null);
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
        ByteBuffer frame = Frames.frame(format.kryo().toBytes(record));
        int n = frame.remaining();
        try {
            if (segment == null || segmentSize >= segmentBytes) {
                rollSegment();
            }
            while (frame.hasRemaining()) {
                segment.write(frame);
            }
            segmentSize += n;
            bytesSinceSnapshot += n;
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
            fsync.file(segment, false);
            dirty = false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync replay log in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void rollSegment() throws IOException {
        closeSegment();
        segmentIndex = Math.max(segmentIndex, highest(SEGMENT)) + 1;
        Path file = dir.resolve(String.format("wal-%012d.log", segmentIndex));
        segment = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        ByteBuffer header = FileHeader.encode(FileHeader.Kind.LOG, format.fingerprint());
        while (header.hasRemaining()) {
            segment.write(header);
        }
        segmentSize = FileHeader.SIZE;
        dirty = true; // the header is forced with the first records
        fsync.directory(dir); // the new file's entry
    }

    private void closeSegment() throws IOException {
        if (segment != null) {
            try {
                fsync.file(segment, false);
                segment.close();
            } finally {
                segment = null;
            }
        }
    }

    /**
     * Writes a snapshot of {@code state}, then deletes the snapshots and log segments it replaces. After it, the log
     * continues in a fresh segment.
     */
    public void snapshot(State state) {
        if (mode == Durability.NONE) {
            return;
        }
        try {
            // above every segment and snapshot on disk: a new snapshot must outrank the log written before it, or a
            // later recovery would start from a stale snapshot and skip that log
            long next = Math.max(segmentIndex, Math.max(highest(SEGMENT), highest(SNAPSHOT))) + 1;
            closeSegment();
            segmentIndex = next - 1; // the next append opens segment `next`
            TableSnapshot ts = state.table();
            long[] keys = state.keys();
            List<String> producers = new ArrayList<>(state.lastSeqNrs().keySet());
            long[] seqs = new long[producers.size()];
            for (int i = 0; i < seqs.length; i++) {
                seqs[i] = state.lastSeqNrs().get(producers.get(i));
            }
            Path tmp = dir.resolve("snapshot.tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                write(ch, FileHeader.encode(FileHeader.Kind.SNAPSHOT, format.fingerprint()));
                int n = ts.items().size();
                writeRecord(ch, new ShardSnapshot.Header(ts.name(), ts.inserts(), ts.samples(), ts.deletes(),
                        ts.nextSequence(), n, producers, seqs));
                for (int from = 0; from < n; from += SNAPSHOT_CHUNK) {
                    int to = Math.min(n, from + SNAPSHOT_CHUNK);
                    writeRecord(ch, new ShardSnapshot.Chunk(ts.items().subList(from, to),
                            Arrays.copyOfRange(keys, from, to), Arrays.copyOfRange(ts.sequences(), from, to),
                            Arrays.copyOfRange(ts.priorities(), from, to),
                            Arrays.copyOfRange(ts.timesSampled(), from, to)));
                }
                writeRecord(ch, new ShardSnapshot.End(n));
                fsync.file(ch, true);
            }
            Path target = dir.resolve(String.format("snapshot-%012d.bin", next));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsync.directory(dir); // the rename
            // older snapshots before older segments: a crash in between leaves an older snapshot only with every
            // segment after it
            for (Map.Entry<Long, Path> e : numbered(SNAPSHOT, false).entrySet()) {
                if (e.getKey() < next) {
                    Files.deleteIfExists(e.getValue());
                }
            }
            for (Map.Entry<Long, Path> e : numbered(SEGMENT, false).entrySet()) {
                if (e.getKey() < next) {
                    Files.deleteIfExists(e.getValue());
                }
            }
            fsync.directory(dir); // the deletes
            bytesSinceSnapshot = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write replay snapshot in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void writeRecord(FileChannel ch, Object record) throws IOException {
        write(ch, Frames.frame(format.kryo().toBytes(record)));
    }

    private static void write(FileChannel ch, ByteBuffer out) throws IOException {
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
        try {
            closeSegment();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close replay log in " + dir, e);
        }
    }
}
