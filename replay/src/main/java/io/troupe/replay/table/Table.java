package io.troupe.replay.table;

import io.troupe.core.experience.ReplayItem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;
import java.util.random.RandomGenerator;

/**
 * A replay table as in Reverb: a sampler, a remover, a maximum size, a rate limiter and an optional maximum number of
 * times an item is sampled. Single-threaded by contract: one owner (a {@code ReplayShard} actor) sequences all calls.
 *
 * <pre>{@code
 * Table t = Table.of("replay", Selectors.prioritized(0.6), Selectors.fifo(), 1_000_000,
 *         RateLimiters.sampleToInsertRatio(8, 1_000, 80));
 * if (t.canInsert(1)) t.insert(item, 1.0);
 * if (t.canSample(256)) for (SampledItem s : t.sample(256, rng)) ...
 * }</pre>
 *
 * Items live in slots {@code 0..maxSize-1}; an item's key is {@code sequence << slotBits | slot}, so keys are unique
 * over the table's life and a priority update finds its slot without a map.
 */
public final class Table {
    private final String name;
    private final SelectorSpec samplerSpec;
    private final SelectorSpec removerSpec;
    private final int maxSize;
    private final int maxTimesSampled;
    private final RateLimiter limiter;
    private final ItemSignature signature;
    private final Selector sampler;
    private final Selector remover;
    private final int slotBits;
    private final long slotMask;

    private final ReplayItem[] items;
    private final long[] keys;
    private final double[] priorities;
    private final int[] timesSampled;
    private final int[] freeSlots;
    private int freeCount;
    private int size;
    private long nextSequence;
    private long deletes;
    private long stepsStored;
    private long bytesStored;
    private final SplittableRandom removerRng;
    private LongConsumer deleteListener = k -> { };

    private Table(String name, SelectorSpec sampler, SelectorSpec remover, int maxSize, RateLimiter limiter,
                  int maxTimesSampled, ItemSignature signature) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("table " + name + ": maxSize must be >= 1, got " + maxSize);
        }
        if (maxTimesSampled < 0) {
            throw new IllegalArgumentException("table " + name + ": maxTimesSampled must be >= 0 (0: unlimited), got "
                    + maxTimesSampled);
        }
        this.name = name;
        this.samplerSpec = sampler;
        this.removerSpec = remover;
        this.maxSize = maxSize;
        this.limiter = limiter;
        this.maxTimesSampled = maxTimesSampled;
        this.signature = signature;
        this.sampler = sampler.create(maxSize);
        this.remover = remover.create(maxSize);
        this.slotBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, maxSize - 1));
        this.slotMask = (1L << slotBits) - 1;
        this.items = new ReplayItem[maxSize];
        this.keys = new long[maxSize];
        this.priorities = new double[maxSize];
        this.timesSampled = new int[maxSize];
        this.freeSlots = new int[maxSize];
        for (int i = 0; i < maxSize; i++) {
            freeSlots[i] = maxSize - 1 - i;
        }
        this.freeCount = maxSize;
        Arrays.fill(keys, -1);
        this.removerRng = new SplittableRandom(name.hashCode());
    }

    /** A table with these parts, no limit on times sampled, and no signature. */
    public static Table of(String name, SelectorSpec sampler, SelectorSpec remover, int maxSize, RateLimiter limiter) {
        return new Table(name, sampler, remover, maxSize, limiter, 0, null);
    }

    /** Reverb's queue: Fifo sampler and remover, each item sampled exactly once, at most {@code size} waiting. */
    public static Table queue(String name, int size) {
        return new Table(name, Selectors.fifo(), Selectors.fifo(), size, RateLimiters.queue(size), 1, null);
    }

    /** Prioritized sampling (alpha), the oldest item removed when full. */
    public static Table prioritized(String name, double alpha, int maxSize, RateLimiter limiter) {
        return of(name, Selectors.prioritized(alpha), Selectors.fifo(), maxSize, limiter);
    }

    /** Uniform sampling, the oldest item removed when full. */
    public static Table uniform(String name, int maxSize, RateLimiter limiter) {
        return of(name, Selectors.uniform(), Selectors.fifo(), maxSize, limiter);
    }

    /** This table with items removed after {@code n} samples (0: never). Call before use. */
    public Table withMaxTimesSampled(int n) {
        return new Table(name, samplerSpec, removerSpec, maxSize, limiter, n, signature);
    }

    /** This table refusing items that do not match {@code signature}. Call before use. */
    public Table withSignature(ItemSignature signature) {
        return new Table(name, samplerSpec, removerSpec, maxSize, limiter, maxTimesSampled, signature);
    }

    public String name() {
        return name;
    }

    public int size() {
        return size;
    }

    public int maxSize() {
        return maxSize;
    }

    public RateLimiter rateLimiter() {
        return limiter;
    }

    /** Whether the rate limiter lets {@code n} items in now. */
    public boolean canInsert(int n) {
        return limiter.canInsert(n, size);
    }

    /** Whether the rate limiter lets a batch of {@code n} be sampled now. */
    public boolean canSample(int n) {
        return size > 0 && limiter.canSample(n, size);
    }

    /** Why {@code item} or {@code priority} would be refused, or empty. */
    public Optional<String> violation(ReplayItem item, double priority) {
        if (item == null) {
            return Optional.of("item is null");
        }
        if (!Double.isFinite(priority) || priority < 0) {
            return Optional.of("priority must be finite and >= 0, got " + priority);
        }
        return signature == null ? Optional.empty() : signature.violation(item);
    }

    /**
     * Inserts an item; when the table is full the remover's choice goes first. Returns its key. Throws
     * {@link IllegalArgumentException} for an invalid item or priority and {@link IllegalStateException} when the
     * rate limiter does not allow an insert now ({@link #canInsert}).
     */
    public long insert(ReplayItem item, double priority) {
        Optional<String> bad = violation(item, priority);
        if (bad.isPresent()) {
            throw new IllegalArgumentException("table " + name + ": " + bad.get());
        }
        if (!canInsert(1)) {
            throw new IllegalStateException("table " + name + ": the rate limiter blocks inserts now: "
                    + limiter.describe());
        }
        return insertUnchecked(item, priority, nextSequence);
    }

    /**
     * Inserts an item the table had accepted before a crash (recovery from a durable log): the rate limiter is not
     * asked, but counts it.
     */
    public long insertRecovered(ReplayItem item, double priority) {
        return insertUnchecked(item, priority, nextSequence);
    }

    private long insertUnchecked(ReplayItem item, double priority, long sequence) {
        if (size == maxSize) {
            deleteSlot(remover.select(removerRng));
        }
        int slot = freeSlots[--freeCount];
        long key = (sequence << slotBits) | slot;
        nextSequence = Math.max(nextSequence, sequence + 1);
        items[slot] = item;
        keys[slot] = key;
        priorities[slot] = priority;
        timesSampled[slot] = 0;
        sampler.insert(slot, priority);
        remover.insert(slot, priority);
        size++;
        stepsStored += item.steps();
        bytesStored += item.estimatedBytes();
        limiter.inserted(1);
        return key;
    }

    /**
     * Samples {@code batchSize} items (with replacement, except that an item reaching its maximum times sampled is
     * removed at once). Throws {@link IllegalArgumentException} for a batch size below 1 and
     * {@link IllegalStateException} when the rate limiter does not allow it now ({@link #canSample}).
     */
    public List<SampledItem> sample(int batchSize, RandomGenerator rng) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("table " + name + ": batch size must be >= 1, got " + batchSize);
        }
        if (!canSample(batchSize)) {
            throw new IllegalStateException("table " + name + ": the rate limiter blocks sampling " + batchSize
                    + " items now (size " + size + "): " + limiter.describe());
        }
        List<SampledItem> out = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize && size > 0; i++) {
            int slot = sampler.select(rng);
            double probability = sampler.probability(slot);
            int times = ++timesSampled[slot];
            out.add(new SampledItem(items[slot], keys[slot], probability, size, priorities[slot], times));
            limiter.sampled(1);
            if (maxTimesSampled > 0 && times >= maxTimesSampled) {
                deleteSlot(slot);
            }
        }
        return out;
    }

    /** Sets priorities by key; keys no longer in the table are skipped. Returns how many were updated. */
    public int updatePriorities(long[] updateKeys, double[] newPriorities) {
        if (updateKeys.length != newPriorities.length) {
            throw new IllegalArgumentException("table " + name + ": " + updateKeys.length + " keys but "
                    + newPriorities.length + " priorities");
        }
        for (int i = 0; i < newPriorities.length; i++) {
            double p = newPriorities[i];
            if (!Double.isFinite(p) || p < 0) {
                throw new IllegalArgumentException("table " + name + ": priority for key " + updateKeys[i]
                        + " must be finite and >= 0, got " + p);
            }
        }
        int updated = 0;
        for (int i = 0; i < updateKeys.length; i++) {
            int slot = slotOf(updateKeys[i]);
            if (slot >= 0) {
                priorities[slot] = newPriorities[i];
                sampler.update(slot, newPriorities[i]);
                remover.update(slot, newPriorities[i]);
                updated++;
            }
        }
        return updated;
    }

    /** Removes items by key; absent keys are skipped. Returns how many were removed. */
    public int delete(long[] deleteKeys) {
        int n = 0;
        for (long k : deleteKeys) {
            int slot = slotOf(k);
            if (slot >= 0) {
                deleteSlot(slot);
                n++;
            }
        }
        return n;
    }

    /** Whether an item with this key is in the table. */
    public boolean contains(long key) {
        return slotOf(key) >= 0;
    }

    private int slotOf(long key) {
        if (key < 0) {
            return -1;
        }
        long slot = key & slotMask;
        return slot < maxSize && keys[(int) slot] == key ? (int) slot : -1;
    }

    private void deleteSlot(int slot) {
        long key = keys[slot];
        sampler.delete(slot);
        remover.delete(slot);
        stepsStored -= items[slot].steps();
        bytesStored -= items[slot].estimatedBytes();
        items[slot] = null;
        keys[slot] = -1;
        freeSlots[freeCount++] = slot;
        size--;
        deletes++;
        deleteListener.accept(key);
    }

    /**
     * Called with the key of every item that leaves the table (evicted by the remover, sampled its maximum number of
     * times, or deleted), so a durable log can record it.
     */
    public void setDeleteListener(LongConsumer listener) {
        this.deleteListener = listener == null ? k -> { } : listener;
    }

    public TableStats stats() {
        return new TableStats(name, size, maxSize, limiter.inserts(), limiter.samples(), deletes, stepsStored,
                bytesStored, limiter.describe(), canSample(1), canInsert(1));
    }

    /** Estimated serialized bytes of the items present. */
    public long bytesStored() {
        return bytesStored;
    }

    /** Keys of the items present, in insertion order. */
    public long[] keys() {
        long[] out = new long[size];
        int n = 0;
        for (int s = 0; s < maxSize; s++) {
            if (keys[s] >= 0) {
                out[n++] = keys[s];
            }
        }
        long[] sorted = Arrays.copyOf(out, n);
        Arrays.sort(sorted); // sequence is in the high bits: key order is insertion order
        return sorted;
    }

    /** The item with this key, if present. */
    public Optional<ReplayItem> get(long key) {
        int slot = slotOf(key);
        return slot >= 0 ? Optional.of(items[slot]) : Optional.empty();
    }

    /** The content and counters, items in insertion order. */
    public TableSnapshot snapshot() {
        long[] order = keys();
        List<ReplayItem> its = new ArrayList<>(order.length);
        long[] seqs = new long[order.length];
        double[] prios = new double[order.length];
        int[] times = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            int slot = (int) (order[i] & slotMask);
            its.add(items[slot]);
            seqs[i] = order[i] >>> slotBits;
            prios[i] = priorities[slot];
            times[i] = timesSampled[slot];
        }
        return new TableSnapshot(name, its, seqs, prios, times, limiter.inserts(), limiter.samples(), deletes,
                nextSequence);
    }

    /**
     * Loads a snapshot into this empty table (same sequences, so keys keep their order; slots may differ). Returns the
     * key of each item in snapshot order.
     */
    public long[] restore(TableSnapshot snapshot) {
        if (size != 0) {
            throw new IllegalStateException("table " + name + ": restore needs an empty table, it holds " + size);
        }
        List<ReplayItem> its = snapshot.items();
        int skip = Math.max(0, its.size() - maxSize);
        long[] newKeys = new long[its.size()];
        Arrays.fill(newKeys, -1);
        for (int i = skip; i < its.size(); i++) {
            newKeys[i] = insertUnchecked(its.get(i), snapshot.priorities()[i], snapshot.sequences()[i]);
            timesSampled[(int) (newKeys[i] & slotMask)] = snapshot.timesSampled()[i];
        }
        limiter.restore(snapshot.inserts(), snapshot.samples());
        deletes = snapshot.deletes() + skip;
        nextSequence = Math.max(nextSequence, snapshot.nextSequence());
        return newKeys;
    }

    /** The sequence number of a key (its insertion order). */
    public long sequenceOf(long key) {
        return key >>> slotBits;
    }
}
