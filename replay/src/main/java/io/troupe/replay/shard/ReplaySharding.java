package io.troupe.replay.shard;

import io.troupe.core.experience.ExperienceBatch;
import io.troupe.replay.durable.LogFormat;
import io.troupe.replay.table.ItemSignature;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.delivery.ShardingConsumerController;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Sets up (once per actor system) the replay shards as Cluster Sharding entities of the replay role, each behind a
 * {@link ShardingConsumerController} so agents write to them through reliable delivery. Call {@link #init} on every
 * node (nodes without the role become proxies); agents give the returned region to a
 * {@code ShardingProducerController} (see {@link ReplayProducer}).
 */
public final class ReplaySharding {
    public static final EntityTypeKey<ConsumerController.SequencedMessage<ExperienceBatch>> ENTITY_KEY =
            EntityTypeKey.create(ShardingConsumerController.entityTypeKeyClass(), "troupe-replay");

    /**
     * Regions already initialized, per actor system instance (by identity: two systems may share a name), so init is
     * idempotent; an entry leaves when its system terminates.
     */
    private static final Map<ActorSystem<?>, ActorRef<ShardingEnvelope<ConsumerController.SequencedMessage<
            ExperienceBatch>>>> REGIONS = Collections.synchronizedMap(new IdentityHashMap<>());

    private ReplaySharding() {
    }

    /**
     * Initializes sharding for the replay entities (no passivation: a shard holding data stays up) and, on nodes with
     * the replay role, a keep-alive that restarts shards whose node died.
     */
    public static synchronized ActorRef<ShardingEnvelope<ConsumerController.SequencedMessage<ExperienceBatch>>> init(
            ActorSystem<?> system, ReplaySettings settings, Optional<ItemSignature> signature) {
        var existing = REGIONS.get(system);
        if (existing != null) {
            return existing;
        }
        LogFormat format = LogFormat.fromConfig(system.settings().config());
        ClusterShardingSettings shardingSettings = ClusterShardingSettings.create(system)
                .withRole(settings.role())
                .withNoPassivationStrategy();
        ActorRef<ShardingEnvelope<ConsumerController.SequencedMessage<ExperienceBatch>>> region =
                ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx ->
                        ShardingConsumerController.<ExperienceBatch, ReplayShard.Command>create(start ->
                                supervised(ReplayShard.create(ctx.getEntityId(), settings, signature, format, start))))
                        .withSettings(shardingSettings));
        if (Cluster.get(system).selfMember().hasRole(settings.role())) {
            system.systemActorOf(ReplayKeepAlive.create(region, settings), "troupe-replay-keep-alive",
                    Props.empty());
        }
        REGIONS.put(system, region);
        system.getWhenTerminated().thenRun(() -> REGIONS.remove(system));
        return region;
    }

    private static Behavior<ReplayShard.Command> supervised(Behavior<ReplayShard.Command> shard) {
        // a failing shard (for example a log write error) restarts and recovers from its files; with a backoff, so a
        // shard that cannot start (a log of another format, a bad entity id) says why without spinning
        return Behaviors.supervise(shard).onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200),
                Duration.ofSeconds(30), 0.2));
    }
}
