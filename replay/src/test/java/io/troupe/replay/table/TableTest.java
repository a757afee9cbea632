package io.troupe.replay.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.experience.ReplayItem;
import io.troupe.core.experience.Unroll;
import io.troupe.replay.Items;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TableTest {
    private final SplittableRandom rng = new SplittableRandom(7);

    /** A one-step unroll: the tables' behaviour does not depend on what an item holds. */
    private static Unroll item(long seq) {
        return Items.unroll(Items.CARTPOLE, "p", seq, 1, 0, 0);
    }

    @Test
    void uniformSamplesEveryItemAboutEquallyOften() {
        Table t = Table.uniform("u", 10, RateLimiters.minSize(1));
        for (int i = 0; i < 10; i++) {
            t.insert(item(i), 1.0);
        }
        int[] counts = new int[10];
        for (SampledItem s : t.sample(50_000, rng)) {
            counts[(int) ((Unroll) s.item()).sequence()]++;
            assertEquals(0.1, s.probability(), 1e-12);
            assertEquals(10, s.tableSize());
        }
        assertChiSquareFits(counts, new double[] {.1, .1, .1, .1, .1, .1, .1, .1, .1, .1}, 50_000);
    }

    @Test
    void prioritizedSamplesInProportionToPriorityToTheAlpha() {
        double alpha = 0.6;
        Table t = Table.prioritized("p", alpha, 100, RateLimiters.minSize(1));
        double[] prios = {0.1, 1, 2, 5, 10, 0};
        long[] keys = new long[prios.length];
        for (int i = 0; i < prios.length; i++) {
            keys[i] = t.insert(item(i), prios[i]);
        }
        double[] expected = new double[prios.length];
        double total = 0;
        for (int i = 0; i < prios.length; i++) {
            expected[i] = Math.pow(prios[i], alpha);
            total += expected[i];
        }
        for (int i = 0; i < prios.length; i++) {
            expected[i] /= total;
        }
        int n = 100_000;
        int[] counts = new int[prios.length];
        for (SampledItem s : t.sample(n, rng)) {
            int i = (int) ((Unroll) s.item()).sequence();
            counts[i]++;
            assertEquals(expected[i], s.probability(), 1e-12);
            assertEquals(prios[i], s.priority());
        }
        assertEquals(0, counts[5], "a zero priority is never sampled");
        assertChiSquareFits(Arrays.copyOf(counts, 5), Arrays.copyOf(expected, 5), n);

        // after a priority update the distribution follows the new priorities
        t.updatePriorities(new long[] {keys[0], keys[4]}, new double[] {10, 0.1});
        int[] after = new int[prios.length];
        for (SampledItem s : t.sample(n, rng)) {
            after[(int) ((Unroll) s.item()).sequence()]++;
        }
        assertTrue(after[0] > after[4] * 5, "priorities swapped: " + Arrays.toString(after));
    }

    /** Pearson's chi-square against the expected probabilities, at the 0.001 level (critical values for 4..9 dof). */
    private static void assertChiSquareFits(int[] counts, double[] probabilities, int n) {
        double chi2 = 0;
        double pSum = 0;
        for (double p : probabilities) {
            pSum += p;
        }
        for (int i = 0; i < counts.length; i++) {
            double e = n * probabilities[i] / pSum;
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        double[] critical = {10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88};
        int dof = counts.length - 1;
        assertTrue(chi2 < critical[dof - 1], "chi-square " + chi2 + " with " + dof + " dof, counts "
                + Arrays.toString(counts));
    }

    @Test
    void fifoAndLifoSampleOldestAndNewest() {
        Table fifo = Table.of("f", Selectors.fifo(), Selectors.fifo(), 10, RateLimiters.minSize(1));
        Table lifo = Table.of("l", Selectors.lifo(), Selectors.fifo(), 10, RateLimiters.minSize(1));
        for (int i = 0; i < 5; i++) {
            fifo.insert(item(i), 1);
            lifo.insert(item(i), 1);
        }
        assertEquals(0L, ((Unroll) fifo.sample(1, rng).get(0).item()).sequence());
        assertEquals(4L, ((Unroll) lifo.sample(1, rng).get(0).item()).sequence());
        assertEquals(1.0, fifo.sample(1, rng).get(0).probability());
    }

    @Test
    void fullTableEvictsWhatTheRemoverChooses() {
        Table t = Table.uniform("u", 3, RateLimiters.minSize(1));
        List<Long> removed = new ArrayList<>();
        t.setDeleteListener(removed::add);
        long first = t.insert(item(0), 1);
        for (int i = 1; i < 5; i++) {
            t.insert(item(i), 1);
        }
        assertEquals(3, t.size());
        assertFalse(t.contains(first));
        assertEquals(2, removed.size());
        List<Long> seqs = new ArrayList<>();
        for (long k : t.keys()) {
            seqs.add(((Unroll) t.get(k).orElseThrow()).sequence());
        }
        assertEquals(List.of(2L, 3L, 4L), seqs, "the oldest two were evicted (Fifo remover)");
        assertEquals(3 * 1, t.stats().stepsStored());

        Table lifoRemover = Table.of("l", Selectors.uniform(), Selectors.lifo(), 2, RateLimiters.minSize(1));
        for (int i = 0; i < 3; i++) {
            lifoRemover.insert(item(i), 1);
        }
        List<Long> kept = new ArrayList<>();
        for (long k : lifoRemover.keys()) {
            kept.add(((Unroll) lifoRemover.get(k).orElseThrow()).sequence());
        }
        assertEquals(List.of(0L, 2L), kept, "Lifo remover evicts the newest before inserting");
    }

    @Test
    void queueHandsOutEachItemExactlyOnceInOrder() {
        Table q = Table.queue("q", 4);
        assertFalse(q.canSample(1), "empty queue");
        for (int i = 0; i < 4; i++) {
            assertTrue(q.canInsert(1));
            q.insert(item(i), 1);
        }
        assertFalse(q.canInsert(1), "a full queue blocks inserts");
        assertThrows(IllegalStateException.class, () -> q.insert(item(9), 1));
        assertFalse(q.canSample(5), "cannot take more than are waiting");
        List<Long> got = new ArrayList<>();
        for (SampledItem s : q.sample(3, rng)) {
            got.add(((Unroll) s.item()).sequence());
            assertEquals(1, s.timesSampled());
        }
        assertEquals(List.of(0L, 1L, 2L), got);
        assertEquals(1, q.size());
        assertTrue(q.canInsert(3));
        q.insert(item(4), 1);
        assertEquals(List.of(3L, 4L), q.sample(2, rng).stream().map(s -> ((Unroll) s.item()).sequence()).toList());
        assertFalse(q.canSample(1));
        assertEquals(0, q.size());
    }

    @Test
    void sampleToInsertRatioKeepsTheRatioWithinTheErrorBuffer() {
        // 2 samples per insert, sampling from 10 items, error buffer 4
        Table t = Table.uniform("r", 1000, RateLimiters.sampleToInsertRatio(2, 10, 4));
        int inserted = 0;
        while (t.canInsert(1)) {
            t.insert(item(inserted++), 1);
        }
        // diff = inserts*2 - samples must stay <= 20 + 4: 12 inserts (24) then blocked
        assertEquals(12, inserted);
        int sampled = 0;
        while (t.canSample(1)) {
            t.sample(1, rng);
            sampled++;
        }
        // diff >= 20 - 4 = 16: from 24, 8 samples
        assertEquals(8, sampled);
        assertTrue(t.canInsert(1), "after sampling, inserts may go on: " + t.rateLimiter().describe());
        double ratio = (double) t.rateLimiter().samples() / t.rateLimiter().inserts();
        assertTrue(ratio > 0.5 && ratio < 2.5, "ratio " + ratio);
    }

    @Test
    void sampleToInsertRatioRejectsADeadlockingConfiguration() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RateLimiters.sampleToInsertRatio(4, 100, 2));
        assertTrue(e.getMessage().contains("would deadlock") && e.getMessage().contains("errorBuffer >= 4.0"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RateLimiters.sampleToInsertRatio(0, 100, 2));
        assertThrows(IllegalArgumentException.class, () -> RateLimiters.sampleToInsertRatio(1, 0, 2));
        RateLimiters.sampleToInsertRatio(4, 100, 4); // the smallest window that cannot deadlock
    }

    @Test
    void minSizeWaitsForEnoughItems() {
        Table t = Table.uniform("m", 100, RateLimiters.minSize(3));
        t.insert(item(0), 1);
        t.insert(item(1), 1);
        assertFalse(t.canSample(1));
        assertThrows(IllegalStateException.class, () -> t.sample(1, rng));
        t.insert(item(2), 1);
        assertTrue(t.canSample(1000), "MinSize never limits the ratio");
    }

    @Test
    void maxTimesSampledRemovesItems() {
        Table t = Table.uniform("x", 10, RateLimiters.minSize(1)).withMaxTimesSampled(2);
        t.insert(item(0), 1);
        t.sample(1, rng);
        assertEquals(1, t.size());
        SampledItem second = t.sample(1, rng).get(0);
        assertEquals(2, second.timesSampled());
        assertEquals(0, t.size());
    }

    @Test
    void invalidInputIsRefusedClearly() {
        Table t = Table.uniform("bad", 10, RateLimiters.minSize(1))
                .withSignature(ItemSignature.unrolls(Items.CARTPOLE, 1));
        t.insert(item(0), 1);
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> t.sample(0, rng));
        assertTrue(batch.getMessage().contains("batch size must be >= 1, got 0"), batch.getMessage());
        for (double p : new double[] {Double.NaN, -1, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.insert(item(1), p));
            assertTrue(e.getMessage().contains("priority must be finite and >= 0, got " + p), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.updatePriorities(new long[] {0}, new double[] {p}));
        }
        IllegalArgumentException unroll = assertThrows(IllegalArgumentException.class,
                () -> t.insert(Items.unroll(Items.CARTPOLE, "p", 1, 8, 0, 0), 1));
        assertTrue(unroll.getMessage().contains("unroll has 8 steps; this table holds unrolls of 1"),
                unroll.getMessage());

        Table seq = Table.uniform("seq", 10, RateLimiters.minSize(1))
                .withSignature(ItemSignature.unrolls(Items.CARTPOLE, 16));
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                () -> seq.insert(Items.unroll(Items.CARTPOLE, "p", 1, 8, 0, 0), 1));
        assertTrue(len.getMessage().contains("unroll has 8 steps; this table holds unrolls of 16"), len.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> seq.insert(Items.unroll(Items.MULTIMODAL, "p", 1, 16, 0, 0), 1));
        assertTrue(shape.getMessage().contains("observations are"), shape.getMessage());
        seq.insert(Items.unroll(Items.CARTPOLE, "p", 1, 16, 0, 0), 1);
        assertEquals(16, seq.stats().stepsStored());
    }

    @Test
    void priorityUpdatesSkipKeysThatLeft() {
        Table t = Table.prioritized("p", 1.0, 2, RateLimiters.minSize(1));
        long a = t.insert(item(0), 1);
        long b = t.insert(item(1), 1);
        long c = t.insert(item(2), 1); // evicts a
        assertEquals(2, t.updatePriorities(new long[] {a, b, c}, new double[] {5, 5, 5}));
        assertFalse(t.contains(a));
        assertTrue(a != c && t.contains(c), "keys stay unique when a slot is reused");
    }

    @Test
    void snapshotRestoresContentOrderPrioritiesAndCounters() {
        Table t = Table.prioritized("s", 0.6, 5, RateLimiters.minSize(1));
        for (int i = 0; i < 7; i++) {
            t.insert(item(i), i + 1);
        }
        t.sample(3, rng);
        TableSnapshot snap = t.snapshot();
        Table r = Table.prioritized("s", 0.6, 5, RateLimiters.minSize(1));
        r.restore(snap);
        assertEquals(t.size(), r.size());
        assertEquals(t.stats().inserts(), r.stats().inserts());
        assertEquals(t.stats().samples(), r.stats().samples());
        Map<Long, Double> before = new HashMap<>();
        for (long k : t.keys()) {
            before.put(((Unroll) t.get(k).orElseThrow()).sequence(), 0.0);
        }
        List<ReplayItem> restored = new ArrayList<>();
        for (long k : r.keys()) {
            restored.add(r.get(k).orElseThrow());
        }
        assertEquals(snap.items(), restored, "same items in the same insertion order");
        r.insert(item(100), 1);
        assertEquals(5, r.size());
        assertFalse(r.keys().length == 0);
        assertEquals(before.keySet().size(), 5);
    }

    @Test
    void sumTreeFindsTheLeafOfEachPrefix() {
        SumTree tree = new SumTree(5);
        double[] v = {1, 0, 2, 3, 0.5};
        for (int i = 0; i < v.length; i++) {
            tree.set(i, v[i]);
        }
        assertEquals(6.5, tree.total(), 1e-12);
        assertEquals(0, tree.find(0.0));
        assertEquals(0, tree.find(0.999));
        assertEquals(2, tree.find(1.0));
        assertEquals(3, tree.find(3.0));
        assertEquals(4, tree.find(6.2));
        assertEquals(4, tree.find(6.5 - 1e-15));
        tree.set(3, 0);
        assertEquals(3.5, tree.total(), 1e-12);
        assertEquals(4, tree.find(3.2));
    }
}
