package io.troupe.replay.bench;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.transport.wire.KryoRegistrations;
import io.troupe.transport.wire.TroupeKryo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Encode + decode of an experience batch of 16 CartPole unrolls of 64 steps, as agents send them. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class KryoBenchmarks {
    public static final int UNROLLS = 16;
    public static final int LENGTH = 64;

    TroupeKryo kryo;
    ExperienceBatch batch;

    @Setup
    public void setUp() {
        kryo = new TroupeKryo(KryoRegistrations.fromConfig(ConfigFactory.load()), null);
        batch = batch();
    }

    /** The batch the benchmark encodes. */
    public static ExperienceBatch batch() {
        List<ReplayItem> items = new ArrayList<>();
        for (int i = 0; i < UNROLLS; i++) {
            items.add(BenchItems.unroll("bench-agent", i, LENGTH));
        }
        return ExperienceBatch.of(items);
    }

    @Benchmark
    public Object roundTrip() {
        return kryo.fromBytes(kryo.toBytes(batch));
    }
}
