package io.troupe.actors.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.reward.RewardHistory;
import io.troupe.core.reward.RewardVariables;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.reward.FeatureSource;
import io.troupe.transport.registry.RewardRegistry;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reward follower on a real one-node cluster: it reads the registry's active version, compiles it and sends it to
 * the shaper's owner as a message (then Ready), follows every later change the same way, and reports a version that
 * does not compile as Refused. It never touches a shaper itself.
 */
class RewardFollowerTest {
    private static ActorTestKit kit;

    @BeforeAll
    static void start() throws Exception {
        // port 0: Artery binds a free port itself and the member's address carries it (choosing a port here and
        // binding it a moment later could lose it to another process in between)
        Config config = ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.loglevel = WARNING
                """).withFallback(ConfigFactory.load()).resolve();
        kit = ActorTestKit.create("reward-follower-test", config);
        Cluster c = Cluster.get(kit.system());
        c.manager().tell(Join.create(c.selfMember().address()));
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static void write(RewardHistory history) {
        SelfUniqueAddress self = DistributedData.get(kit.system()).selfUniqueAddress();
        TestProbe<Replicator.UpdateResponse<LWWRegister<RewardHistory>>> written = kit.createTestProbe();
        DistributedData.get(kit.system()).replicator().tell(new Replicator.Update<>(
                RewardRegistry.key(history.envId()), LWWRegister.create(self, history), Replicator.writeLocal(),
                written.ref(), r -> r.withValue(self, history)));
        assertInstanceOf(Replicator.UpdateSuccess.class, written.receiveMessage(Duration.ofSeconds(10)));
    }

    @Test
    void sendsVersionsToTheShapersOwnerAsMessages() {
        RewardVariables variables;
        try (Env env = EnvRegistry.defaults().make("CartPole-v1")) {
            variables = FeatureSource.of(env).variables();
        }
        String envId = "CartPole-v1";
        RewardHistory v1 = RewardHistory.initial(envId).submit("expr", "2", "test", 1, "");
        write(v1);
        TestProbe<RewardFollower.Event> owner = kit.createTestProbe();
        kit.spawn(RewardFollower.create(envId, variables, owner.ref()));

        RewardFollower.Offered first = owner.expectMessageClass(RewardFollower.Offered.class, Duration.ofSeconds(10));
        assertEquals(1, first.version().version());
        assertEquals(new RewardFollower.Ready(1), owner.receiveMessage(Duration.ofSeconds(10)),
                "ready after the active version was sent");

        write(v1.submit("expr", "3", "test", 2, ""));
        RewardFollower.Offered second = owner.expectMessageClass(RewardFollower.Offered.class, Duration.ofSeconds(10));
        assertEquals(2, second.version().version());

        write(v1.submit("expr", "3", "test", 2, "").submit("expr", "no_such_feature * 2", "test", 3, ""));
        RewardFollower.Refused refused = owner.expectMessageClass(RewardFollower.Refused.class,
                Duration.ofSeconds(10));
        assertEquals(3, refused.spec().version());
        assertTrue(refused.reason().contains("does not compile"), refused.reason());
    }
}
