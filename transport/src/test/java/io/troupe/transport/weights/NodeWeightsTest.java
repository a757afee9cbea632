package io.troupe.transport.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** Every subscriber on a node is served by the node's one fetcher: a version crosses the network once per node. */
class NodeWeightsTest {
    private static ActorTestKit learnerNode;
    private static ActorTestKit agentNode;

    @BeforeAll
    static void start() {
        learnerNode = ActorTestKit.create("node-weights", TestNodes.node(List.of("learner"), ""));
        agentNode = ActorTestKit.create("node-weights", TestNodes.node(List.of("agent"), ""));
        TestNodes.formCluster(learnerNode, agentNode);
    }

    @AfterAll
    static void stop() {
        agentNode.shutdownTestKit();
        learnerNode.shutdownTestKit();
    }

    @Test
    void subscribersOnANodeShareOneFetchAndALateSubscriberGetsTheNewestAtOnce() {
        ActorRef<WeightsPublisher.Command> publisher = learnerNode.spawn(WeightsPublisher.create(64 * 1024));
        List<TestProbe<PolicyWeights>> agents = List.of(agentNode.createTestProbe(), agentNode.createTestProbe(),
                agentNode.createTestProbe());
        for (TestProbe<PolicyWeights> agent : agents) {
            NodeWeights.get(agentNode.system()).subscribe(agent.ref());
        }
        byte[] bytes = new byte[1024 * 1024 + 5]; // 17 chunks
        new SplittableRandom(7).nextBytes(bytes);
        TestProbe<WeightsPublisher.Published> published = learnerNode.createTestProbe();
        publisher.tell(new WeightsPublisher.Publish(new PolicyWeights("m", 3, bytes), published.ref()));
        published.receiveMessage(Duration.ofSeconds(10));

        PolicyWeights first = agents.get(0).receiveMessage(Duration.ofSeconds(30));
        assertEquals(3, first.version());
        assertArrayEquals(bytes, first.bytes());
        for (TestProbe<PolicyWeights> other : agents.subList(1, agents.size())) {
            // the very object the first got: one assembly from chunks, not one fetch per subscriber
            assertSame(first, other.receiveMessage(Duration.ofSeconds(30)));
        }

        TestProbe<PolicyWeights> late = agentNode.createTestProbe();
        NodeWeights.get(agentNode.system()).subscribe(late.ref());
        assertSame(first, late.receiveMessage(Duration.ofSeconds(5)), "a late subscriber gets the newest version");
        for (TestProbe<PolicyWeights> agent : agents) {
            agent.expectNoMessage(Duration.ofMillis(200)); // and the others are not sent it again
        }
    }
}
