package io.troupe.replay.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.replay.durable.Durability;
import io.troupe.replay.shard.ReplayProducer;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Ingest through the real write path on a one-node cluster: {@code producers} ReplayProducers send batches of
 * CartPole unrolls through reliable delivery (ShardingProducerController to ShardingConsumerController) into one
 * ReplayShard, each batch confirmed only once stored (and, in wal mode, synced). Reports env steps stored per second
 * from the first send to the last confirmation.
 */
public final class ShardIngestBenchmark {
    /** Steps stored per second, and how many batches were confirmed. */
    public record Result(double stepsPerSecond, int batches, long steps) {
    }

    private ShardIngestBenchmark() {
    }

    public static Result run(Durability mode, Path dir, int producers, int batchesPerProducer, int unrollsPerBatch,
                             int unrollLength) throws Exception {
        Config config = ConfigFactory.empty()
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
                .withValue("pekko.loglevel", ConfigValueFactory.fromAnyRef("WARNING"))
                .withValue("pekko.cluster.jmx.multi-mbeans-in-same-jvm", ConfigValueFactory.fromAnyRef(true))
                .withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", ConfigValueFactory.fromAnyRef(false))
                .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.of("replay")))
                .withValue("troupe.replay.shards", ConfigValueFactory.fromAnyRef(1))
                .withValue("troupe.replay.table.max-size", ConfigValueFactory.fromAnyRef(200_000))
                .withValue("troupe.replay.durability.mode", ConfigValueFactory.fromAnyRef(
                        mode.name().toLowerCase(Locale.ROOT)))
                .withValue("troupe.replay.durability.dir", ConfigValueFactory.fromAnyRef(dir.toString()))
                .withFallback(ConfigFactory.load()).resolve();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "ingest-bench", config);
        try {
            Cluster cluster = Cluster.get(system);
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            var region = ReplaySharding.init(system, ReplaySettings.fromConfig(config.getConfig("troupe.replay")),
                    Optional.empty());
            List<ExperienceBatch> batches = new ArrayList<>();
            long stepsPerBatch = (long) unrollsPerBatch * unrollLength;
            for (int b = 0; b < 8; b++) {
                List<ReplayItem> items = new ArrayList<>();
                for (int u = 0; u < unrollsPerBatch; u++) {
                    items.add(BenchItems.unroll("bench", (long) b * unrollsPerBatch + u, unrollLength));
                }
                batches.add(ExperienceBatch.of(items));
            }
            int warmup = Math.max(1, batchesPerProducer / 5);
            send(system, region, producers, warmup, batches, "warmup");
            long start = System.nanoTime();
            send(system, region, producers, batchesPerProducer, batches, "measured");
            double seconds = (System.nanoTime() - start) / 1e9;
            int total = producers * batchesPerProducer;
            return new Result(total * stepsPerBatch / seconds, total, total * stepsPerBatch);
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static void send(ActorSystem<Void> system,
                             ActorRef<ShardingEnvelope<
                                     ConsumerController.SequencedMessage<
                                             ExperienceBatch>>> region,
                             int producers, int batchesPerProducer, List<ExperienceBatch> batches, String phase)
            throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger remaining = new AtomicInteger(producers * batchesPerProducer);
        Behavior<ReplayProducer.Confirmed> counter = Behaviors.receiveMessage(c -> {
            if (!c.ok()) {
                done.completeExceptionally(new IllegalStateException("batch " + c.tag() + " not confirmed in time"));
            } else if (remaining.decrementAndGet() == 0) {
                done.complete(null);
            }
            return Behaviors.same();
        });
        ActorRef<ReplayProducer.Confirmed> confirms = system.systemActorOf(counter, "confirms-" + phase,
                Props.empty());
        for (int p = 0; p < producers; p++) {
            ActorRef<ReplayProducer.Command> producer = system.systemActorOf(ReplayProducer.create(
                    "bench-" + phase + "-" + p, region, Duration.ofMinutes(5)), "producer-" + phase + "-" + p,
                    Props.empty());
            for (int b = 0; b < batchesPerProducer; b++) {
                producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(0), batches.get(b % batches.size()), b,
                        confirms));
            }
        }
        done.get(10, TimeUnit.MINUTES);
    }
}
