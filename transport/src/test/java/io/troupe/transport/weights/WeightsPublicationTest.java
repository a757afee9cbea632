package io.troupe.transport.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.troupe.core.PolicyWeights;
import io.troupe.transport.testing.TestNodes;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Weights far larger than the 256 KiB remote frame go from a learner node to an agent node: the version through
 * Distributed Data, the bytes in chunks. Two ActorSystems on loopback ports.
 */
class WeightsPublicationTest {
    private static ActorTestKit learnerNode;
    private static ActorTestKit agentNode;

    @BeforeAll
    static void start() {
        learnerNode = ActorTestKit.create("weights", TestNodes.node(List.of("learner"), ""));
        agentNode = ActorTestKit.create("weights", TestNodes.node(List.of("agent"), ""));
        TestNodes.formCluster(learnerNode, agentNode);
    }

    @AfterAll
    static void stop() {
        agentNode.shutdownTestKit();
        learnerNode.shutdownTestKit();
    }

    private static PolicyWeights weights(long version, int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(version).nextBytes(bytes);
        return new PolicyWeights("test-model", version, bytes);
    }

    @Test
    void multiMegabyteWeightsReachAnotherNodeIntactAndLateJoinersGetTheLatest() {
        ActorRef<WeightsPublisher.Command> publisher = learnerNode.spawn(WeightsPublisher.create(128 * 1024));
        TestProbe<PolicyWeights> received = agentNode.createTestProbe();
        agentNode.spawn(WeightsFetcher.create(received.ref(), Duration.ofSeconds(3)));
        TestProbe<WeightsPublisher.Published> published = learnerNode.createTestProbe();

        PolicyWeights v1 = weights(1, 6 * 1024 * 1024 + 17); // 6 MiB: 49 chunks
        publisher.tell(new WeightsPublisher.Publish(v1, published.ref()));
        published.receiveMessage();
        PolicyWeights got1 = received.receiveMessage(Duration.ofSeconds(30));
        assertEquals(1, got1.version());
        assertArrayEquals(v1.bytes(), got1.bytes());

        PolicyWeights v2 = weights(2, 3 * 1024 * 1024);
        publisher.tell(new WeightsPublisher.Publish(v2, published.ref()));
        PolicyWeights got2 = received.receiveMessage(Duration.ofSeconds(30));
        assertEquals(2, got2.version());
        assertArrayEquals(v2.bytes(), got2.bytes());

        // an agent that starts after the publication (it missed it) gets the latest version
        TestProbe<PolicyWeights> late = agentNode.createTestProbe();
        ActorRef<WeightsFetcher.Command> lateFetcher = agentNode.spawn(WeightsFetcher.create(late.ref(),
                Duration.ofSeconds(3)));
        lateFetcher.tell(WeightsFetcher.FetchLatest.INSTANCE);
        PolicyWeights gotLate = late.receiveMessage(Duration.ofSeconds(30));
        assertEquals(2, gotLate.version());
        assertArrayEquals(v2.bytes(), gotLate.bytes());
    }

    @Test
    void aFetcherOnTheLearnersNodeTakesTheWeightsObjectItself() {
        ActorRef<WeightsPublisher.Command> publisher = learnerNode.spawn(WeightsPublisher.create(128 * 1024));
        TestProbe<PolicyWeights> local = learnerNode.createTestProbe();
        TestProbe<PolicyWeights> remote = agentNode.createTestProbe();
        learnerNode.spawn(WeightsFetcher.create(local.ref(), Duration.ofSeconds(3)));
        agentNode.spawn(WeightsFetcher.create(remote.ref(), Duration.ofSeconds(3)));
        TestProbe<WeightsPublisher.Published> published = learnerNode.createTestProbe();
        // the event-stream subscription is registered asynchronously: publish until the local fetcher has one
        PolicyWeights sent = null;
        PolicyWeights got = null;
        for (long version = 10; (got == null || got != sent) && version < 60; version++) {
            sent = weights(version, 300 * 1024); // three chunks on the remote path
            publisher.tell(new WeightsPublisher.Publish(sent, published.ref()));
            published.receiveMessage(Duration.ofSeconds(10));
            got = local.receiveMessage(Duration.ofSeconds(10)); // one delivery per version, by either path
            assertEquals(version, got.version());
        }
        assertSame(sent, got, "the local fetcher got a publication by the local path within 50 versions");
        // once subscribed, every later publication takes the local path: the object itself (no chunks, no copy)
        PolicyWeights next = weights(got.version() + 1, 300 * 1024);
        publisher.tell(new WeightsPublisher.Publish(next, published.ref()));
        published.receiveMessage(Duration.ofSeconds(10));
        assertSame(next, local.receiveMessage(Duration.ofSeconds(10)), "same-node fetchers take the weights object");
        local.expectNoMessage(Duration.ofMillis(300)); // and once: the announcement does not deliver it again
        // the remote fetcher gets a copy of the bytes, chunk by chunk
        PolicyWeights remoteGot = remote.receiveMessage(Duration.ofSeconds(30));
        while (remoteGot.version() < next.version()) {
            remoteGot = remote.receiveMessage(Duration.ofSeconds(30));
        }
        assertEquals(next.version(), remoteGot.version());
        assertNotSame(next, remoteGot);
        assertArrayEquals(next.bytes(), remoteGot.bytes());
    }
}
