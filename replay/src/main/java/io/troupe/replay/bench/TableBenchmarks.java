package io.troupe.replay.bench;

import io.troupe.core.experience.Unroll;
import io.troupe.replay.table.RateLimiters;
import io.troupe.replay.table.SampledItem;
import io.troupe.replay.table.Table;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH microbenchmarks of the pure replay table, one thread, one-step CartPole unrolls, a full 1,000,000-item table
 * (steady state: every insert evicts the oldest item). Scores are items per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TableBenchmarks {
    static final int TABLE_SIZE = 1_000_000;
    static final int BATCH = 256;

    /** A full uniform table. */
    @State(Scope.Thread)
    public static class UniformTable {
        Table table;
        Unroll item;

        @Setup
        public void setUp() {
            table = Table.uniform("bench", TABLE_SIZE, RateLimiters.minSize(1));
            item = BenchItems.unroll("bench", 1, 1); // one step: the table costs, not the item's
            for (int i = 0; i < TABLE_SIZE; i++) {
                table.insert(item, 1.0);
            }
        }
    }

    /** A full prioritized table (alpha 0.6) with random priorities, and keys to update. */
    @State(Scope.Thread)
    public static class PrioritizedTable {
        Table table;
        Unroll item;
        SplittableRandom rng;
        long[] keys = new long[BATCH];
        double[] priorities = new double[BATCH];

        @Setup
        public void setUp() {
            table = Table.prioritized("bench", 0.6, TABLE_SIZE, RateLimiters.minSize(1));
            item = BenchItems.unroll("bench", 1, 1); // one step: the table costs, not the item's
            rng = new SplittableRandom(42);
            for (int i = 0; i < TABLE_SIZE; i++) {
                table.insert(item, 0.1 + rng.nextDouble());
            }
            List<SampledItem> s = table.sample(BATCH, rng);
            for (int i = 0; i < BATCH; i++) {
                keys[i] = s.get(i).key();
            }
        }
    }

    @Benchmark
    public long uniformInsert(UniformTable s) {
        return s.table.insert(s.item, 1.0);
    }

    @Benchmark
    public long prioritizedInsert(PrioritizedTable s) {
        return s.table.insert(s.item, 0.5);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public List<SampledItem> prioritizedSample(PrioritizedTable s) {
        return s.table.sample(BATCH, s.rng);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int priorityUpdate(PrioritizedTable s) {
        for (int i = 0; i < BATCH; i++) {
            s.priorities[i] = 0.1 + s.rng.nextDouble();
        }
        return s.table.updatePriorities(s.keys, s.priorities);
    }
}
