package io.troupe.replay.shard;

import io.troupe.transport.testing.TestNodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.replay.Items;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Agents to learner through the real path on a one-node cluster: ReplayProducer -> ShardingProducerController ->
 * sharding -> ShardingConsumerController -> ReplayShard, and a learner finding the shards through the receptionist.
 * Every message is serialized (serialize-messages = on), so this also proves the Kryo bindings.
 */
class ReplayShardingTest {
    private static ActorTestKit kit;

    @BeforeAll
    static void start() {
        Config config = TestNodes.node(List.of("replay", "agent"),
                "pekko.actor.serialize-messages = on\ntroupe.replay.shards = 2");
        kit = ActorTestKit.create("sharding-test", config);
        Cluster cluster = Cluster.get(kit.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void aBatchNoShardConfirmsInTimeIsReportedNotOk() {
        // a region that takes the producer's messages and never answers: no shard stores (or confirms) anything
        TestProbe<ShardingEnvelope<ConsumerController.SequencedMessage<ExperienceBatch>>> silentRegion =
                kit.createTestProbe();
        ActorRef<ReplayProducer.Command> producer = kit.spawn(ReplayProducer.create("agent-silent-test",
                silentRegion.ref(), Duration.ofMillis(300)));
        TestProbe<ReplayProducer.Confirmed> confirms = kit.createTestProbe();
        Unroll u = Items.unroll(Items.CARTPOLE, "agent-silent", 0, 16, 0, 0);
        producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(0), ExperienceBatch.of(List.of(u)), 7,
                confirms.ref()));
        ReplayProducer.Confirmed c = confirms.receiveMessage(Duration.ofSeconds(10));
        assertEquals(new ReplayProducer.Confirmed(ReplaySettings.shardId(0), 7, false), c);
    }

    @Test
    void batchesFlowFromProducersToShardsAndOutToALearner() {
        ReplaySettings settings = ReplaySettings.fromConfig(kit.system().settings().config().getConfig("troupe.replay"));
        var region = ReplaySharding.init(kit.system(), settings, Optional.empty());
        ActorRef<ReplayProducer.Command> producer = kit.spawn(ReplayProducer.create("agent-0-test", region,
                Duration.ofSeconds(30)));
        TestProbe<ReplayProducer.Confirmed> confirms = kit.createTestProbe();
        int batches = 20;
        for (int i = 0; i < batches; i++) {
            Unroll u = Items.unroll(Items.CARTPOLE, "agent-0", i, 16, i, 0);
            producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(i % 2), ExperienceBatch.of(List.of(u)), i,
                    confirms.ref()));
        }
        Set<Long> confirmed = new HashSet<>();
        for (ReplayProducer.Confirmed c : confirms.receiveSeveralMessages(batches, Duration.ofSeconds(30))) {
            assertTrue(c.ok());
            confirmed.add(c.tag());
        }
        assertEquals(batches, confirmed.size());

        TestProbe<Receptionist.Listing> listings = kit.createTestProbe();
        Set<ActorRef<ReplayShard.Command>> shards = new HashSet<>();
        listings.awaitAssert(Duration.ofSeconds(10), () -> {
            kit.system().receptionist().tell(Receptionist.find(ReplayShard.SERVICE_KEY, listings.ref()));
            Set<ActorRef<ReplayShard.Command>> found = listings.receiveMessage().getServiceInstances(
                    ReplayShard.SERVICE_KEY);
            assertEquals(2, found.size());
            shards.addAll(found);
            return null;
        });
        TestProbe<ReplayShard.SampleReply> replies = kit.createTestProbe();
        Set<String> seen = new HashSet<>();
        long total = 0;
        for (ActorRef<ReplayShard.Command> shard : shards) {
            shard.tell(new ReplayShard.Sample(1, 50, replies.ref()));
            ReplayShard.Sampled s = replies.expectMessageClass(ReplayShard.Sampled.class);
            seen.add(s.shardId());
            for (var item : s.items()) {
                Unroll u = (Unroll) item.item();
                assertEquals(u.sequence() % 2, Long.parseLong(s.shardId().substring("replay-".length())),
                        "each unroll went to the shard it was addressed to");
                assertEquals(u.sequence(), u.policyVersion(), "version tags survive the trip");
            }
            TestProbe<ReplayShard.Stats> stats = kit.createTestProbe();
            shard.tell(new ReplayShard.GetStats(stats.ref()));
            total += stats.receiveMessage().table().size();
        }
        assertEquals(Set.of("replay-0", "replay-1"), seen);
        assertEquals(batches, total);
    }
}
