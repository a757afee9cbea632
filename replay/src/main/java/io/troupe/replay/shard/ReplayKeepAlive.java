package io.troupe.replay.shard;

import io.troupe.core.experience.ExperienceBatch;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.StartEntity;

/**
 * Asks the sharding region, every {@code keep-alive-interval}, to run each replay shard: a shard whose node died is
 * started (and recovers from its files) on a surviving replay node without waiting for traffic. Stateless.
 */
final class ReplayKeepAlive {
    private enum Tick { INSTANCE }

    private ReplayKeepAlive() {
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Behavior<Object> create(ActorRef<ShardingEnvelope<ConsumerController.SequencedMessage<ExperienceBatch>>> region,
                                   ReplaySettings settings) {
        List<String> ids = IntStream.range(0, settings.shards()).mapToObj(ReplaySettings::shardId).toList();
        return Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ZERO, settings.keepAliveInterval());
            return Behaviors.receive(Object.class).onMessageEquals(Tick.INSTANCE, () -> {
                for (String id : ids) {
                    region.tell((ShardingEnvelope) StartEntity.create(ConsumerController.SequencedMessage.class, id));
                }
                return Behaviors.same();
            }).build();
        });
    }
}
