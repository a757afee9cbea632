package io.troupe.replay.bench;

import com.typesafe.config.ConfigFactory;
import io.troupe.replay.durable.Durability;
import io.troupe.transport.wire.KryoRegistrations;
import io.troupe.transport.wire.TroupeKryo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code troupe bench replay}: the table and codec microbenchmarks through JMH, then shard ingest through reliable
 * delivery in memory and in wal mode, all in one run. Its keys are the README's (Performance, {@code bench replay}).
 */
public final class ReplayBench {
    /** How long and how often: JMH forks, warm-up and measured iterations, and the ingest size. */
    public record Options(int forks, int warmupIterations, int iterations, double secondsPerIteration,
                          int ingestProducers, int ingestBatchesPerProducer) {
    }

    private ReplayBench() {
    }

    /**
     * The figures of {@code bench replay}: table operations per second (JMH), Kryo's round trip of an experience batch,
     * and shard ingest through reliable delivery in memory and with the write-ahead log. A JSON writer that names
     * components in snake_case gives the README's keys ({@code uniform_insert_per_s}, ...).
     */
    public record Result(long uniformInsertPerS, long prioritizedInsertPerS, long prioritizedSampleItemsPerS,
                         long priorityUpdatePerS, double kryoRoundtripMbPerS, double kryoBytesPerStep,
                         long shardInsertStepsPerS, long walInsertStepsPerS, double walVsMemory) {
    }

    public static Result run(Options o, Path workDir) throws Exception {
        org.openjdk.jmh.runner.options.Options jmh = new OptionsBuilder()
                .include("io\\.troupe\\.replay\\.bench\\.(TableBenchmarks|KryoBenchmarks)\\..*")
                .forks(o.forks())
                .warmupIterations(o.warmupIterations())
                .warmupTime(TimeValue.milliseconds((long) (o.secondsPerIteration() * 1000)))
                .measurementIterations(o.iterations())
                .measurementTime(TimeValue.milliseconds((long) (o.secondsPerIteration() * 1000)))
                .jvmArgsAppend("-Xmx4g")
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(jmh).run();
        Map<String, Double> scores = new LinkedHashMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            scores.put(name.substring(name.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        TroupeKryo kryo = new TroupeKryo(KryoRegistrations.fromConfig(ConfigFactory.load()), null);
        int bytes = kryo.toBytes(KryoBenchmarks.batch()).length;
        long steps = (long) KryoBenchmarks.UNROLLS * KryoBenchmarks.LENGTH;


        Path memDir = Files.createDirectories(workDir.resolve("none"));
        Path walDir = Files.createDirectories(workDir.resolve("wal"));
        ShardIngestBenchmark.Result mem = ShardIngestBenchmark.run(Durability.NONE, memDir, o.ingestProducers(),
                o.ingestBatchesPerProducer(), 16, 64);
        ShardIngestBenchmark.Result wal = ShardIngestBenchmark.run(Durability.WAL, walDir, o.ingestProducers(),
                o.ingestBatchesPerProducer(), 16, 64);
        return new Result(Math.round(scores.get("uniformInsert")), Math.round(scores.get("prioritizedInsert")),
                Math.round(scores.get("prioritizedSample")), Math.round(scores.get("priorityUpdate")),
                Math.round(scores.get("roundTrip") * bytes / 1e6 * 10) / 10.0, Math.round(10.0 * bytes / steps) / 10.0,
                Math.round(mem.stepsPerSecond()), Math.round(wal.stepsPerSecond()),
                Math.round(wal.stepsPerSecond() / mem.stepsPerSecond() * 1000) / 1000.0);
    }
}
