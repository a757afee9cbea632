package io.troupe.replay.shard;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.replay.durable.LogFormat;
import io.troupe.replay.table.ItemSignature;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.delivery.ConsumerController;

/**
 * A real ReplayShard actor whose consumer controller is a test probe, so a test can hand it deliveries (including
 * duplicates) and watch its confirmations.
 */
final class ShardProbeHarness {
    final ActorTestKit kit;
    final TestProbe<ConsumerController.Start<ExperienceBatch>> controller;
    final TestProbe<ConsumerController.Confirmed> confirms;
    ActorRef<ReplayShard.Command> shard;
    ActorRef<ConsumerController.Delivery<ExperienceBatch>> deliveries;

    ShardProbeHarness(ActorTestKit kit) {
        this.kit = kit;
        this.controller = kit.createTestProbe();
        this.confirms = kit.createTestProbe();
    }

    static Config replayConfig(Path dir, String extra) {
        return ConfigFactory.parseString(extra + "\ntroupe.replay.durability.dir = \"" + dir.toString()
                .replace("\\", "/") + "\"").withFallback(ConfigFactory.load()).getConfig("troupe.replay");
    }

    ShardProbeHarness start(String shardId, ReplaySettings settings, Optional<ItemSignature> signature) {
        LogFormat format = LogFormat.fromConfig(ConfigFactory.load());
        shard = kit.spawn(ReplayShard.create(shardId, settings, signature, format, controller.ref()));
        deliveries = controller.receiveMessage().deliverTo();
        return this;
    }

    void deliver(String producer, long seqNr, ExperienceBatch batch) {
        deliveries.tell(new ConsumerController.Delivery<>(batch, confirms.ref(), producer, seqNr));
    }

    void stop() {
        kit.stop(shard, Duration.ofSeconds(10)); // returns once the shard has stopped (and written its final snapshot)
    }
}
