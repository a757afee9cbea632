package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.RewardRegistryClient;
import io.troupe.cluster.bench.LoopbackCluster;
import io.troupe.core.EnvSpec;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on loopback: a reward version written on the first reaches an agent on the second, and so does a
 * rollback; a node started after the swap starts its agents with the active version.
 */
class RewardPropagationTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();

    private static ActorRef<Agent.Command> agent(ActorSystem<Void> node, String name) {
        var region = ReplaySharding.init(node, ReplaySettings.fromConfig(node.settings().config()
                .getConfig("troupe.replay")), Optional.empty());
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        return node.systemActorOf(Agent.supervised(new Agent.Spec(name, 1, 3, () -> REGISTRY.make("CartPole-v1"),
                () -> PolicyModel.create(spec, ModelConfig.mlp(16), 1, Device.cpu()),
                AgentSettings.fromConfig(node.settings().config()), region, null)), name, Agent.dispatcher());
    }

    private static void awaitVersion(ActorSystem<Void> node, ActorRef<Agent.Command> agent, long version) {
        TestProbe<Agent.Stats> stats = TestProbe.create(node);
        stats.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(20), () -> {
            agent.tell(new Agent.GetStats(stats.ref()));
            assertEquals(version, stats.receiveMessage(Duration.ofSeconds(5)).rewardVersion());
            return null;
        });
    }

    @Test
    void aSwapOnOneNodeReachesAgentsOnAnother() throws Exception {
        try (LoopbackCluster cluster = LoopbackCluster.start("reward-propagation", List.of(List.of("replay"),
                List.of("agent")), ConfigFactory.empty().withValue("troupe.replay.table.rate-limiter.kind",
                ConfigValueFactory.fromAnyRef("min-size")))) {
            ActorSystem<Void> writerNode = cluster.node(0);
            ReplaySharding.init(writerNode, ReplaySettings.fromConfig(writerNode.settings().config()
                    .getConfig("troupe.replay")), Optional.empty());
            ActorRef<Agent.Command> remote = agent(cluster.node(1), "remote-agent");
            RewardRegistryClient client = new RewardRegistryClient(writerNode, REGISTRY, new AdminSettings(-1,
                    "127.0.0.1", Optional.empty(), 200, Duration.ofSeconds(5)));
            long v1 = client.submit("CartPole-v1", "expr", "1 - abs(theta) / 0.21", "test", "").toCompletableFuture()
                    .get(20, TimeUnit.SECONDS).history().active();
            awaitVersion(cluster.node(1), remote, v1);
            long v2 = client.submit("CartPole-v1", "class", "io.troupe.environments.reward.CartPoleUprightReward",
                    "test", "").toCompletableFuture().get(20, TimeUnit.SECONDS).history().active();
            awaitVersion(cluster.node(1), remote, v2);
            long back = client.rollback("CartPole-v1", Optional.empty()).toCompletableFuture()
                    .get(20, TimeUnit.SECONDS).active();
            assertEquals(v1, back);
            awaitVersion(cluster.node(1), remote, v1);
            ActorRef<Agent.Command> late = agent(cluster.node(1), "late-agent");
            awaitVersion(cluster.node(1), late, v1);
        }
    }
}
