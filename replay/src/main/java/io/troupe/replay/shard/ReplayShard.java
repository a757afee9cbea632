package io.troupe.replay.shard;

import io.troupe.core.CrossNode;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.core.experience.Unroll;
import io.troupe.replay.durable.Durability;
import io.troupe.replay.durable.LogFormat;
import io.troupe.replay.durable.RecoveryReport;
import io.troupe.replay.durable.SafeNames;
import io.troupe.replay.durable.ShardStore;
import io.troupe.replay.durable.WalRecord;
import io.troupe.replay.table.ItemSignature;
import io.troupe.replay.table.SampledItem;
import io.troupe.replay.table.Table;
import io.troupe.replay.table.TableStats;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One replay shard ({@code replay-i}): the single owner of a {@link Table}, fed by agents through Pekko reliable
 * delivery and sampled by learners.
 *
 * <p>Writes: each delivered {@link ExperienceBatch} is dropped if its (producer id, sequence number) was stored before
 * (a redelivery), otherwise inserted item by item as far as the rate limiter allows (the rest waits, unconfirmed,
 * which backpressures the producer), logged, and confirmed: at once in modes {@code none} and {@code checkpoint},
 * after the log's group fsync in mode {@code wal}. Items that do not match the table's signature, or carry an invalid
 * priority, are refused one by one, counted and reported in {@link Stats}; the rest of their batch is stored.
 *
 * <p>File I/O (recovery, log writes and fsyncs, snapshots) runs on {@value #BLOCKING_IO_DISPATCHER}, one task after
 * another ({@link SerialLane}), never on the actor's dispatcher; results come back as messages, so the actor stays
 * the one owner of its table (the table is handed over once recovery has filled it, and snapshots write a copy).
 * Only a stopping shard waits for its last snapshot: a handoff must leave consistent files for the next host.
 *
 * <p>Reads: {@link Sample} is answered with one or more {@link Sampled} parts (each under the message budget) when the
 * rate limiter allows; otherwise it waits, in arrival order, and gets {@link SampleTimedOut} after the sample timeout.
 * Learners find shards through the receptionist ({@link #SERVICE_KEY}).
 *
 * <p>On rebalance or crash the in-memory table is lost; what survives is on disk (modes {@code checkpoint} and
 * {@code wal}), recovered before the shard serves, plus what producers resend because it was never confirmed.
 */
public final class ReplayShard extends AbstractBehavior<ReplayShard.Command> {

    /** How learners find shards. */
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "troupe-replay-shards");

    /** The dispatcher (in {@code reference.conf}) that runs every shard's file I/O. */
    public static final String BLOCKING_IO_DISPATCHER = "troupe.replay.blocking-io-dispatcher";

    /** Messages a shard may receive while it recovers (it serves none of them before). */
    private static final int STASH_CAPACITY = 10_000;

    /** Messages a shard handles. */
    public sealed interface Command permits Sample, GetStats, GetStoredIds, Delivered,
            SampleTimeout, Flush, Checkpoint, Opened, Synced, Snapshotted {
    }

    /**
     * Asks for {@code batchSize} items; answered with {@link SampleReply}s carrying {@code requestId}. With
     * {@code partial}, as many as the rate limiter allows right now (at least one) are enough. {@code waitMillis}
     * bounds the wait (0 or less: the shard's sample-timeout).
     */
    public record Sample(long requestId, int batchSize, ActorRef<SampleReply> replyTo, boolean partial,
                         long waitMillis) implements Command, CrossNode {
        /** A full batch, waiting up to the shard's sample-timeout. */
        public Sample(long requestId, int batchSize, ActorRef<SampleReply> replyTo) {
            this(requestId, batchSize, replyTo, false, 0);
        }
    }

    public record GetStats(ActorRef<Stats> replyTo) implements Command, CrossNode {
    }

    /** Asks for the identities ({@code producerId#sequence}) of the items stored, for audits and tests. */
    public record GetStoredIds(ActorRef<StoredIds> replyTo) implements Command, CrossNode {
    }

    private record Delivered(ConsumerController.Delivery<ExperienceBatch> delivery)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record SampleTimeout(long requestId) implements Command, NoSerializationVerificationNeeded {
    }

    private enum Flush implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private enum Checkpoint implements Command, NoSerializationVerificationNeeded { INSTANCE }

    /** Recovery is done (or failed): the store and the recovered dedupe state, the table filled. */
    private record Opened(ShardStore store, ShardStore.Recovered recovered, Throwable failure)
            implements Command, NoSerializationVerificationNeeded {
    }

    /** A group of log records is written and fsynced (or failed): its batches can be confirmed. */
    private record Synced(List<ActorRef<ConsumerController.Confirmed>> confirmations, long bytesSinceSnapshot,
                          Throwable failure) implements Command, NoSerializationVerificationNeeded {
    }

    /** A snapshot is written (or failed). */
    private record Snapshotted(Throwable failure) implements Command, NoSerializationVerificationNeeded {
    }

    /** Replies to {@link Sample}. */
    public sealed interface SampleReply extends CrossNode permits Sampled, SampleTimedOut, SampleRefused {
        long requestId();

        String shardId();
    }

    /** Part {@code part} of the answer; {@code last} marks the final part. */
    public record Sampled(long requestId, String shardId, List<SampledItem> items, int part, boolean last)
            implements SampleReply {
    }

    /** The rate limiter did not allow the sample within the sample timeout. */
    public record SampleTimedOut(long requestId, String shardId, String reason) implements SampleReply {
    }

    /** The request was invalid (batch size below 1 or above the table's maximum size). */
    public record SampleRefused(long requestId, String shardId, String reason) implements SampleReply {
    }

    public record Stats(String shardId, TableStats table, long batchesStored, long duplicatesDropped,
                        long rejectedItems, String lastRejection, int parkedBatches, int waitingSamples,
                        String durability, RecoveryReport recovery) implements CrossNode {
    }

    /**
     * The unrolls a shard holds, as runs of consecutive sequence numbers per producer ({@code "agent-0#0-947"}, or
     * {@code "agent-0#950"} for a run of one), so a full table fits a message; {@code truncated} when even the runs
     * did not fit ({@code troupe.replay.max-message-bytes}).
     */
    public record StoredIds(String shardId, List<String> runs, boolean truncated) implements CrossNode {
        /** Every id the runs stand for ({@code "agent-0#12"}), producer by producer, sequences in increasing order. */
        public List<String> ids() {
            List<String> out = new ArrayList<>();
            for (String run : runs) {
                int hash = run.lastIndexOf('#');
                String producer = run.substring(0, hash + 1);
                String range = run.substring(hash + 1);
                int dash = range.indexOf('-');
                long first = Long.parseLong(dash < 0 ? range : range.substring(0, dash));
                long last = dash < 0 ? first : Long.parseLong(range.substring(dash + 1));
                for (long q = first; q <= last; q++) {
                    out.add(producer + q);
                }
            }
            return out;
        }
    }

    /** A delivery being inserted: items before {@code next} are in the table. */
    private static final class Pending {
        final ConsumerController.Delivery<ExperienceBatch> delivery;
        final List<ReplayItem> accepted = new ArrayList<>();
        final List<Double> priorities = new ArrayList<>();
        final List<Long> keys = new ArrayList<>();
        int next;

        Pending(ConsumerController.Delivery<ExperienceBatch> delivery) {
            this.delivery = delivery;
        }
    }

    private record Waiting(Sample request) {
    }

    private final String shardId;
    private final ReplaySettings settings;
    private final TimerScheduler<Command> timers;
    private final Table table;
    private final ShardStore store;
    private final SerialLane io;
    private final RecoveryReport recovery;
    private final Map<String, Long> lastSeqNrs;
    private final ArrayDeque<Pending> parked = new ArrayDeque<>();
    private final LinkedHashMap<Long, Waiting> waiting = new LinkedHashMap<>();
    private final List<ActorRef<ConsumerController.Confirmed>> unconfirmed = new ArrayList<>();
    /** Log records not yet handed to the I/O lane, in the order of the table changes they describe. */
    private final List<WalRecord> unwritten = new ArrayList<>();
    private final List<Long> removedKeys = new ArrayList<>();
    private final SplittableRandom rng;
    private boolean flushScheduled;
    private boolean syncInFlight;
    private boolean snapshotInFlight;
    private long batchesStored;
    private long duplicatesDropped;
    private long rejectedItems;
    private String lastRejection = "";

    private ReplayShard(ActorContext<Command> context, TimerScheduler<Command> timers, String shardId,
                        ReplaySettings settings, Table table, SerialLane io, Opened opened,
                        ActorRef<ConsumerController.Start<ExperienceBatch>> consumerController) {
        super(context);
        this.shardId = shardId;
        this.settings = settings;
        this.timers = timers;
        this.table = table;
        this.io = io;
        this.rng = new SplittableRandom(shardId.hashCode());
        this.store = opened.store();
        this.recovery = opened.recovered().report();
        this.lastSeqNrs = new HashMap<>(opened.recovered().lastSeqNrs());
        if (recovery.corrupt()) {
            context.getLog().warn("{} recovered around damaged files: {}", shardId, recovery.describe());
        } else if (settings.durability() != Durability.NONE) {
            context.getLog().info("{} recovered: {}", shardId, recovery.describe());
        }
        table.setDeleteListener(removedKeys::add);
        if (settings.durability() == Durability.CHECKPOINT) {
            timers.startTimerWithFixedDelay(Checkpoint.INSTANCE, settings.checkpointInterval());
        }
        ActorRef<ConsumerController.Delivery<ExperienceBatch>> deliveries =
                context.messageAdapter(ConsumerController.deliveryClass(), Delivered::new);
        consumerController.tell(new ConsumerController.Start<>(deliveries));
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    }

    /**
     * The shard's behaviour, given the reliable-delivery consumer controller that feeds it (see
     * {@link ReplaySharding}). {@code format} encodes the durable log. It recovers first (on the blocking-I/O
     * dispatcher, messages stashed meanwhile), then serves. A shard id that is not a safe file name is refused.
     */
    public static Behavior<Command> create(String shardId, ReplaySettings settings, Optional<ItemSignature> signature,
                                           LogFormat format,
                                           ActorRef<ConsumerController.Start<ExperienceBatch>> consumerController) {
        SafeNames.requireSafe(shardId, "replay shard id");
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(STASH_CAPACITY, stash -> {
            Executor executor = ctx.getSystem().dispatchers().lookup(
                    DispatcherSelector.fromConfig(BLOCKING_IO_DISPATCHER));
            SerialLane io = new SerialLane(executor);
            Table t = settings.newTable(shardId);
            Table table = signature.isPresent() ? t.withSignature(signature.get()) : t;
            // the lane owns the table until recovery hands it over with Opened
            ctx.pipeToSelf(io.submit(() -> {
                ShardStore store = ShardStore.open(settings.directory(), shardId, settings.durability(), format,
                        settings.segmentBytes());
                ShardStore.Recovered recovered = store.recover(table);
                store.snapshot(ShardStore.State.of(table, recovered.lastSeqNrs())); // a fresh log, new key space
                return new Opened(store, recovered, null);
            }), (opened, failure) -> failure == null ? opened : new Opened(null, null, failure));
            return recovering(ctx, timers, stash, shardId, settings, table, io, consumerController);
        })));
    }

    private static Behavior<Command> recovering(ActorContext<Command> ctx, TimerScheduler<Command> timers,
                                                StashBuffer<Command> stash, String shardId, ReplaySettings settings,
                                                Table table, SerialLane io,
                                                ActorRef<ConsumerController.Start<ExperienceBatch>> controller) {
        return Behaviors.receive(Command.class)
                .onMessage(Opened.class, o -> {
                    if (o.failure() != null) {
                        Throwable cause = unwrap(o.failure());
                        throw new IllegalStateException(shardId + " cannot recover from "
                                + settings.directory().resolve(shardId) + ": " + cause.getMessage(), cause);
                    }
                    return stash.unstashAll(new ReplayShard(ctx, timers, shardId, settings, table, io, o,
                            controller));
                })
                .onMessage(Command.class, m -> {
                    stash.stash(m);
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, s -> {
                    // stopped while recovering: let recovery finish before the next host reads the files
                    io.submit(() -> null).toCompletableFuture().exceptionally(e -> null).join();
                    return Behaviors.same();
                })
                .build();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Delivered.class, this::onDelivered)
                .onMessage(Sample.class, this::onSample)
                .onMessage(SampleTimeout.class, this::onSampleTimeout)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(GetStoredIds.class, this::onGetStoredIds)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessageEquals(Checkpoint.INSTANCE, this::onCheckpoint)
                .onMessage(Synced.class, this::onSynced)
                .onMessage(Snapshotted.class, this::onSnapshotted)
                .onSignal(PostStop.class, s -> onPostStop())
                .onSignal(PreRestart.class, s -> onPreRestart())
                .build();
    }

    private Behavior<Command> onDelivered(Delivered d) {
        ConsumerController.Delivery<ExperienceBatch> delivery = d.delivery();
        Long last = lastSeqNrs.get(delivery.producerId());
        if (last != null && delivery.seqNr() <= last) {
            duplicatesDropped++;
            delivery.confirmTo().tell(ConsumerController.confirmed());
            return this;
        }
        parked.add(new Pending(delivery));
        progress();
        return this;
    }

    /** Inserts what the rate limiter allows and serves waiting samples, until neither moves. */
    private void progress() {
        boolean moved = true;
        while (moved) {
            moved = drainParked();
            moved |= serveWaiting();
        }
        logRemovals();
    }

    private boolean drainParked() {
        boolean moved = false;
        while (!parked.isEmpty()) {
            Pending p = parked.peek();
            ExperienceBatch batch = p.delivery.message();
            List<ReplayItem> items = batch.items();
            while (p.next < items.size() && table.canInsert(1)) {
                ReplayItem item = items.get(p.next);
                double priority = batch.priorities()[p.next];
                p.next++;
                moved = true;
                Optional<String> bad = table.violation(item, priority);
                if (bad.isPresent()) {
                    rejectedItems++;
                    lastRejection = "item " + (p.next - 1) + " of batch " + p.delivery.seqNr() + " from "
                            + p.delivery.producerId() + ": " + bad.get();
                    getContext().getLog().warn("{} refused {}", shardId, lastRejection);
                    continue;
                }
                p.keys.add(table.insert(item, priority));
                p.accepted.add(item);
                p.priorities.add(priority);
            }
            if (p.next < items.size()) {
                break; // the rate limiter holds the rest until samples are taken
            }
            parked.poll();
            stored(p);
            moved = true;
        }
        return moved;
    }

    private void stored(Pending p) {
        ConsumerController.Delivery<ExperienceBatch> d = p.delivery;
        logRemovals(); // evictions caused by these inserts come before the insert record
        lastSeqNrs.put(d.producerId(), d.seqNr());
        batchesStored++;
        if (settings.durability() == Durability.WAL) {
            long[] keys = p.keys.stream().mapToLong(Long::longValue).toArray();
            double[] prios = p.priorities.stream().mapToDouble(Double::doubleValue).toArray();
            unwritten.add(new WalRecord.Insert(d.producerId(), d.seqNr(), keys,
                    new ExperienceBatch(p.accepted, prios)));
            unconfirmed.add(d.confirmTo());
            scheduleFlush();
        } else {
            d.confirmTo().tell(ConsumerController.confirmed());
        }
    }

    private void scheduleFlush() {
        if (!flushScheduled && !syncInFlight) {
            flushScheduled = true;
            getContext().getSelf().tell(Flush.INSTANCE); // every store queued before it shares one fsync
        }
    }

    /** Hands the unwritten records and an fsync to the I/O lane; their batches are confirmed once it is done. */
    private Behavior<Command> onFlush() {
        flushScheduled = false;
        logRemovals();
        List<WalRecord> records = drainUnwritten();
        List<ActorRef<ConsumerController.Confirmed>> group = List.copyOf(unconfirmed);
        unconfirmed.clear();
        syncInFlight = true;
        getContext().pipeToSelf(io.submit(() -> {
            records.forEach(store::append);
            store.sync();
            return store.bytesSinceSnapshot();
        }), (bytes, failure) -> new Synced(group, failure == null ? bytes : 0, failure));
        return this;
    }

    private Behavior<Command> onSynced(Synced s) {
        syncInFlight = false;
        failOn(s.failure(), "the replay log could not be written or synced");
        for (ActorRef<ConsumerController.Confirmed> c : s.confirmations()) {
            c.tell(ConsumerController.confirmed());
        }
        // compact once the log outgrows both the threshold and the table: a snapshot then costs no more than the log
        // it replaces, so its price is amortized over the writes
        if (s.bytesSinceSnapshot() >= Math.max(settings.compactAfterBytes(), table.bytesStored())) {
            snapshot();
        }
        if (!unconfirmed.isEmpty() || !unwritten.isEmpty() || !removedKeys.isEmpty()) {
            scheduleFlush();
        }
        return this;
    }

    private Behavior<Command> onCheckpoint() {
        snapshot();
        return this;
    }

    /**
     * Hands a copy of the table (and the records before it) to the I/O lane to be written as a snapshot; one at a
     * time. The copy matches the log position: every record of an earlier change is handed over before it.
     */
    private void snapshot() {
        if (snapshotInFlight || settings.durability() == Durability.NONE) {
            return;
        }
        logRemovals();
        List<WalRecord> records = drainUnwritten();
        ShardStore.State state = ShardStore.State.of(table, lastSeqNrs);
        snapshotInFlight = true;
        getContext().pipeToSelf(io.submit(() -> {
            records.forEach(store::append);
            store.snapshot(state);
            return null;
        }), (ok, failure) -> new Snapshotted(failure));
    }

    private Behavior<Command> onSnapshotted(Snapshotted s) {
        snapshotInFlight = false;
        failOn(s.failure(), "the replay snapshot could not be written");
        return this;
    }

    private void failOn(Throwable failure, String what) {
        if (failure != null) {
            // a restart recovers from the files: what was confirmed is there, what was not is resent
            Throwable cause = unwrap(failure);
            throw new IllegalStateException(shardId + ": " + what + " in " + settings.directory().resolve(shardId)
                    + ": " + cause.getMessage(), cause);
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private List<WalRecord> drainUnwritten() {
        List<WalRecord> records = List.copyOf(unwritten);
        unwritten.clear();
        return records;
    }

    private void logRemovals() {
        if (!removedKeys.isEmpty()) {
            if (settings.durability() == Durability.WAL) {
                unwritten.add(new WalRecord.Remove(removedKeys.stream().mapToLong(Long::longValue).toArray()));
            }
            removedKeys.clear();
        }
    }

    private Behavior<Command> onSample(Sample s) {
        if (s.batchSize() < 1 || s.batchSize() > table.maxSize()) {
            s.replyTo().tell(new SampleRefused(s.requestId(), shardId, "batch size must be in 1.." + table.maxSize()
                    + " (the table's max-size), got " + s.batchSize()));
            return this;
        }
        waiting.put(s.requestId(), new Waiting(s));
        Duration wait = s.waitMillis() > 0 ? Duration.ofMillis(s.waitMillis()) : settings.sampleTimeout();
        timers.startSingleTimer(s.requestId(), new SampleTimeout(s.requestId()), wait);
        progress();
        return this;
    }

    private boolean serveWaiting() {
        boolean moved = false;
        var it = waiting.values().iterator();
        while (it.hasNext()) {
            Sample s = it.next().request();
            int n = s.batchSize();
            if (s.partial()) {
                while (n > 0 && !table.canSample(n)) {
                    n--;
                }
            }
            if (n == 0 || !table.canSample(n)) {
                break; // first come, first served
            }
            it.remove();
            timers.cancel(s.requestId());
            reply(s, table.sample(n, rng));
            moved = true;
        }
        return moved;
    }

    private void reply(Sample s, List<SampledItem> items) {
        int part = 0;
        List<SampledItem> chunk = new ArrayList<>();
        long bytes = 256;
        for (SampledItem item : items) {
            long size = item.item().estimatedBytes() + 64;
            if (!chunk.isEmpty() && bytes + size > settings.maxMessageBytes()) {
                s.replyTo().tell(new Sampled(s.requestId(), shardId, List.copyOf(chunk), part++, false));
                chunk.clear();
                bytes = 256;
            }
            chunk.add(item);
            bytes += size;
        }
        s.replyTo().tell(new Sampled(s.requestId(), shardId, List.copyOf(chunk), part, true));
    }

    private Behavior<Command> onSampleTimeout(SampleTimeout t) {
        Waiting w = waiting.remove(t.requestId());
        if (w != null) {
            w.request().replyTo().tell(new SampleTimedOut(t.requestId(), shardId, "no sample of "
                    + w.request().batchSize() + " in time: table size "
                    + table.size() + ", " + table.rateLimiter().describe()));
        }
        return this;
    }

    private Behavior<Command> onGetStats(GetStats g) {
        g.replyTo().tell(new Stats(shardId, table.stats(), batchesStored, duplicatesDropped, rejectedItems,
                lastRejection, parked.size(), waiting.size(), settings.durability().name().toLowerCase(), recovery));
        return this;
    }

    private Behavior<Command> onGetStoredIds(GetStoredIds g) {
        Map<String, List<Long>> sequences = new TreeMap<>();
        for (long key : table.keys()) {
            Unroll u = (Unroll) table.get(key).orElseThrow();
            sequences.computeIfAbsent(u.producerId(), p -> new ArrayList<>()).add(u.sequence());
        }
        List<String> runs = new ArrayList<>();
        long bytes = 256;
        boolean truncated = false;
        for (Map.Entry<String, List<Long>> e : sequences.entrySet()) {
            List<Long> seqs = e.getValue();
            seqs.sort(null);
            int i = 0;
            while (i < seqs.size() && !truncated) {
                int j = i;
                while (j + 1 < seqs.size() && seqs.get(j + 1) == seqs.get(j) + 1) {
                    j++;
                }
                String run = e.getKey() + "#" + seqs.get(i) + (j > i ? "-" + seqs.get(j) : "");
                bytes += run.length() + 4;
                if (bytes > settings.maxMessageBytes()) {
                    truncated = true;
                } else {
                    runs.add(run);
                }
                i = j + 1;
            }
        }
        g.replyTo().tell(new StoredIds(shardId, runs, truncated));
        return this;
    }

    /**
     * Writes what is left and a final snapshot (a handoff leaves a compact state for the next host), and waits for
     * it: the next host must not read the files before they are consistent.
     */
    private Behavior<Command> onPostStop() {
        logRemovals();
        List<WalRecord> records = drainUnwritten();
        ShardStore.State state = settings.durability() == Durability.NONE ? null
                : ShardStore.State.of(table, lastSeqNrs);
        try {
            io.submit(() -> {
                records.forEach(store::append);
                store.sync();
                if (state != null) {
                    store.snapshot(state);
                }
                return null;
            }).toCompletableFuture().join();
        } catch (RuntimeException e) {
            getContext().getLog().error("{}: no final snapshot on stop ({}); the next host recovers from the log",
                    shardId, e.getMessage());
        } finally {
            store.close();
        }
        return this;
    }

    /** A failed write restarts the shard, which recovers from the files: release them first. */
    private Behavior<Command> onPreRestart() {
        try {
            io.submit(() -> null).toCompletableFuture().exceptionally(e -> null).join();
            store.close();
        } catch (RuntimeException e) {
            getContext().getLog().warn("{}: closing the log before a restart: {}", shardId, e.getMessage());
        }
        return this;
    }
}
