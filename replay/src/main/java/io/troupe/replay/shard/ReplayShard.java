package io.troupe.replay.shard;

import io.troupe.core.CrossNode;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.core.experience.Unroll;
import io.troupe.replay.durable.Durability;
import io.troupe.replay.durable.RecoveryReport;
import io.troupe.replay.durable.ShardStore;
import io.troupe.replay.durable.WalRecord;
import io.troupe.replay.table.ItemSignature;
import io.troupe.replay.table.SampledItem;
import io.troupe.replay.table.Table;
import io.troupe.replay.table.TableStats;
import io.troupe.transport.wire.TroupeKryo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
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

    /** Messages a shard handles. */
    public sealed interface Command permits Sample, UpdatePriorities, GetStats, GetStoredIds, Delivered,
            SampleTimeout, Flush, Checkpoint {
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

    /** New priorities by key (keys that left the table are skipped). No reply. */
    public record UpdatePriorities(long[] keys, double[] priorities) implements Command, CrossNode {
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

    public record StoredIds(String shardId, List<String> ids, boolean truncated) implements CrossNode {
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
    private final RecoveryReport recovery;
    private final Map<String, Long> lastSeqNrs;
    private final ArrayDeque<Pending> parked = new ArrayDeque<>();
    private final LinkedHashMap<Long, Waiting> waiting = new LinkedHashMap<>();
    private final List<ActorRef<ConsumerController.Confirmed>> unconfirmed = new ArrayList<>();
    private final List<Long> removedKeys = new ArrayList<>();
    private final SplittableRandom rng;
    private boolean flushScheduled;
    private long batchesStored;
    private long duplicatesDropped;
    private long rejectedItems;
    private String lastRejection = "";

    private ReplayShard(ActorContext<Command> context, TimerScheduler<Command> timers, String shardId,
                        ReplaySettings settings, Optional<ItemSignature> signature, TroupeKryo kryo,
                        ActorRef<ConsumerController.Start<ExperienceBatch>> consumerController) {
        super(context);
        this.shardId = shardId;
        this.settings = settings;
        this.timers = timers;
        Table t = settings.newTable(shardId);
        this.table = signature.isPresent() ? t.withSignature(signature.get()) : t;
        this.rng = new SplittableRandom(shardId.hashCode());
        this.store = ShardStore.open(settings.directory(), shardId, settings.durability(), kryo,
                settings.segmentBytes());
        ShardStore.Recovered recovered = store.recover(table);
        this.recovery = recovered.report();
        this.lastSeqNrs = new HashMap<>(recovered.lastSeqNrs());
        if (recovery.corrupt()) {
            context.getLog().error("{}: {}", shardId, recovery.describe());
        } else if (settings.durability() != Durability.NONE) {
            context.getLog().info("{} recovered: {}", shardId, recovery.describe());
        }
        store.snapshot(table, lastSeqNrs); // a fresh log, in the recovered table's key space
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
     * {@link ReplaySharding}). {@code kryo} encodes the durable log.
     */
    public static Behavior<Command> create(String shardId, ReplaySettings settings, Optional<ItemSignature> signature,
                                           TroupeKryo kryo,
                                           ActorRef<ConsumerController.Start<ExperienceBatch>> consumerController) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new ReplayShard(ctx, timers, shardId, settings, signature, kryo, consumerController)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Delivered.class, this::onDelivered)
                .onMessage(Sample.class, this::onSample)
                .onMessage(SampleTimeout.class, this::onSampleTimeout)
                .onMessage(UpdatePriorities.class, this::onUpdatePriorities)
                .onMessage(GetStats.class, this::onGetStats)
                .onMessage(GetStoredIds.class, this::onGetStoredIds)
                .onMessageEquals(Flush.INSTANCE, this::onFlush)
                .onMessageEquals(Checkpoint.INSTANCE, this::onCheckpoint)
                .onSignal(PostStop.class, s -> onPostStop())
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
        long[] keys = p.keys.stream().mapToLong(Long::longValue).toArray();
        double[] prios = p.priorities.stream().mapToDouble(Double::doubleValue).toArray();
        store.append(new WalRecord.Insert(d.producerId(), d.seqNr(), keys, new ExperienceBatch(p.accepted, prios)));
        lastSeqNrs.put(d.producerId(), d.seqNr());
        batchesStored++;
        if (settings.durability() == Durability.WAL) {
            unconfirmed.add(d.confirmTo());
            if (!flushScheduled) {
                flushScheduled = true;
                getContext().getSelf().tell(Flush.INSTANCE); // every store queued before it shares one fsync
            }
        } else {
            d.confirmTo().tell(ConsumerController.confirmed());
        }
    }

    private Behavior<Command> onFlush() {
        flushScheduled = false;
        logRemovals();
        store.sync();
        for (ActorRef<ConsumerController.Confirmed> c : unconfirmed) {
            c.tell(ConsumerController.confirmed());
        }
        unconfirmed.clear();
        // compact once the log outgrows both the threshold and the table: a snapshot then costs no more than the log
        // it replaces, so its price is amortized over the writes
        if (store.bytesSinceSnapshot() >= Math.max(settings.compactAfterBytes(), table.bytesStored())) {
            store.snapshot(table, lastSeqNrs);
        }
        return this;
    }

    private Behavior<Command> onCheckpoint() {
        store.snapshot(table, lastSeqNrs);
        return this;
    }

    private void logRemovals() {
        if (!removedKeys.isEmpty()) {
            store.append(new WalRecord.Remove(removedKeys.stream().mapToLong(Long::longValue).toArray()));
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
        java.time.Duration wait = s.waitMillis() > 0 ? java.time.Duration.ofMillis(s.waitMillis())
                : settings.sampleTimeout();
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

    private Behavior<Command> onUpdatePriorities(UpdatePriorities u) {
        try {
            table.updatePriorities(u.keys(), u.priorities());
        } catch (IllegalArgumentException e) {
            rejectedItems += u.keys().length;
            lastRejection = "priority update: " + e.getMessage();
            getContext().getLog().warn("{} refused a {}", shardId, lastRejection);
        }
        return this;
    }

    private Behavior<Command> onGetStats(GetStats g) {
        g.replyTo().tell(new Stats(shardId, table.stats(), batchesStored, duplicatesDropped, rejectedItems,
                lastRejection, parked.size(), waiting.size(), settings.durability().name().toLowerCase(), recovery));
        return this;
    }

    private Behavior<Command> onGetStoredIds(GetStoredIds g) {
        List<String> ids = new ArrayList<>();
        long bytes = 256;
        boolean truncated = false;
        for (long key : table.keys()) {
            ReplayItem item = table.get(key).orElseThrow();
            Unroll u = (Unroll) item;
            String id = u.producerId() + "#" + u.sequence();
            bytes += id.length() + 4;
            if (bytes > settings.maxMessageBytes()) {
                truncated = true;
                break;
            }
            ids.add(id);
        }
        g.replyTo().tell(new StoredIds(shardId, ids, truncated));
        return this;
    }

    private Behavior<Command> onPostStop() {
        try {
            logRemovals();
            store.sync();
            if (settings.durability() != Durability.NONE) {
                store.snapshot(table, lastSeqNrs); // a handoff leaves a compact state for the next host
            }
        } finally {
            store.close();
        }
        return this;
    }
}
