package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.RewardRegistryClient;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.core.experience.Unroll;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.replay.shard.ReplayShard;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import io.troupe.replay.table.SampledItem;
import io.troupe.transport.weights.WeightsPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A reward swap while agents act and stream into replay, on a real one-node cluster: the unrolls stored after the
 * swap carry the new version and its rewards, the agents report returns under it, a rollback brings the old rewards
 * back everywhere, and a plugin that starts failing at run time makes the agents fall back and report it.
 */
class RewardSwapTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();
    private static ActorTestKit kit;
    private static RewardRegistryClient rewards;

    @BeforeAll
    static void start() throws Exception {
        Config config = ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                # any free port, bound by Artery itself (the node joins its own address, read back once started)
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.roles = ["replay", "learner", "agent"]
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.loglevel = WARNING
                # a bounded table that drops its oldest unroll when full: agents never wait for the test to sample
                troupe.replay { shards = 1, table { max-size = 64, max-times-sampled = 1, sampler = fifo,
                                                    remover = fifo, rate-limiter.kind = min-size } }
                troupe.agent { envs-per-agent = 4, unroll-length = 16 }
                """).withFallback(ConfigFactory.load()).resolve();
        kit = ActorTestKit.create("reward-swap-test", config);
        Cluster c = Cluster.get(kit.system());
        c.manager().tell(Join.create(c.selfMember().address()));
        rewards = new RewardRegistryClient(kit.system(), REGISTRY, new AdminSettings(-1, "127.0.0.1",
                Optional.empty(), 500, Duration.ofSeconds(3)));
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    /** What a test spawned, stopped after it whether it passed or not (a failed test must not leave agents acting). */
    private final List<ActorRef<?>> spawned = new ArrayList<>();

    @AfterEach
    void stopSpawned() {
        spawned.forEach(a -> kit.stop(a, Duration.ofSeconds(20)));
    }

    private List<ActorRef<Agent.Command>> agents(String prefix, int n, ActorRef<Agent.Report> reports) {
        Config config = kit.system().settings().config();
        var region = ReplaySharding.init(kit.system(), ReplaySettings.fromConfig(config.getConfig("troupe.replay")),
                Optional.empty());
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        List<ActorRef<Agent.Command>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(kit.spawn(Agent.supervised(new Agent.Spec(prefix + i, i, 7 + i,
                    () -> REGISTRY.make("CartPole-v1"), () -> PolicyModel.create(spec, ModelConfig.mlp(16), 1,
                    Device.cpu()), AgentSettings.fromConfig(config), region, reports)), prefix + i,
                    Agent.dispatcher()));
        }
        spawned.addAll(out);
        return out;
    }

    /** Samples (and so consumes) stored unrolls until one matches, failing after 60 s. */
    private static Unroll storedUnroll(Predicate<Unroll> wanted, List<Unroll> seen) {
        TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        TestProbe<ReplayShard.SampleReply> replies = kit.createTestProbe();
        long id = 0;
        while (System.nanoTime() < deadline) {
            // shards start with the agents' first batch: look them up until they are there
            kit.system().receptionist().tell(Receptionist.find(ReplayShard.SERVICE_KEY, listing.ref()));
            Set<ActorRef<ReplayShard.Command>> shards = listing.receiveMessage(Duration.ofSeconds(10))
                    .getServiceInstances(ReplayShard.SERVICE_KEY);
            if (shards.isEmpty()) {
                listing.expectNoMessage(Duration.ofMillis(100)); // waits for the shard to register, asserting nothing else arrives
            }
            for (ActorRef<ReplayShard.Command> shard : shards) {
                shard.tell(new ReplayShard.Sample(++id, 4, replies.ref(), true, 500));
                ReplayShard.SampleReply r = replies.receiveMessage(Duration.ofSeconds(10));
                if (r instanceof ReplayShard.Sampled s) {
                    for (SampledItem item : s.items()) {
                        Unroll u = (Unroll) item.item();
                        seen.add(u);
                        if (wanted.test(u)) {
                            return u;
                        }
                    }
                }
            }
        }
        throw new AssertionError("no stored unroll matched in 60 s; seen " + seen.size());
    }

    private static boolean allRewards(Unroll u, float value) {
        for (float r : u.rewards()) {
            if (r != value) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code u}'s rewards are {@code from} up to some step (maybe none) and {@code to} from there to the end (at
     * least one step), the change coming only at an episode's first step (the step after one that ended).
     */
    private static boolean switchesAtAnEpisodeStart(Unroll u, float from, float to) {
        float[] r = u.rewards();
        int first = 0;
        while (first < r.length && r[first] == from) {
            first++;
        }
        if (first == r.length) {
            return false;
        }
        if (first > 0 && !(u.terminated()[first - 1] || u.truncated()[first - 1])) {
            return false;
        }
        for (int t = first; t < r.length; t++) {
            if (r[t] != to) {
                return false;
            }
        }
        return true;
    }

    private static Agent.EpisodeEnded episode(TestProbe<Agent.Report> reports, long version) {
        return episode(reports, version, e -> true);
    }

    private static Agent.EpisodeEnded episode(TestProbe<Agent.Report> reports, long version,
                                              Predicate<Agent.EpisodeEnded> wanted) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (reports.receiveMessage(Duration.ofSeconds(30)) instanceof Agent.EpisodeEnded e
                    && e.rewardVersion() == version && wanted.test(e)) {
                return e;
            }
        }
        throw new AssertionError("no episode under reward version " + version);
    }

    @Test
    void aSwapChangesStoredRewardsAndReturnsAndRollbackRestoresThem() throws Exception {
        TestProbe<Agent.Report> reports = kit.createTestProbe();
        List<ActorRef<Agent.Command>> agents = agents("swap-agent-", 2, reports.ref());
        List<Unroll> seen = new ArrayList<>();
        Unroll before = storedUnroll(u -> u.rewardVersion() == 0, seen);
        assertTrue(allRewards(before, 1f), "the env's own reward: 1 per step");

        long v1 = rewards.submit("CartPole-v1", "expr", "5", "test", "swap").toCompletableFuture()
                .get(10, TimeUnit.SECONDS).history().active();
        Unroll after = storedUnroll(u -> u.rewardVersion() == v1, seen);
        assertTrue(allRewards(after, 5f), "every step of an unroll tagged v" + v1 + " has the new reward");
        Agent.EpisodeEnded e = episode(reports, v1);
        assertEquals(5.0 * e.length(), e.rewardReturn(), 1e-9, "return under the new reward");
        assertEquals(e.length(), e.episodeReturn(), 1e-9, "the env's own return is still reported");
        for (Unroll u : seen) { // an unroll tagged with an older version may straddle the switch; never the reverse
            if (u.rewardVersion() == v1) {
                assertTrue(allRewards(u, 5f), "unroll " + u.sequence() + " of " + u.producerId());
            }
        }

        long back = rewards.rollback("CartPole-v1", Optional.empty()).toCompletableFuture()
                .get(10, TimeUnit.SECONDS).active();
        assertTrue(back < v1);
        seen.clear();
        // an unroll of the same agent two rounds after one it made under v1, tagged with the rolled-back version (an
        // unroll is tagged with the oldest version among its steps) and ending under it: whatever it holds from before
        // the rollback, its rewards went from 5 to 1 only where an episode started, never back
        Unroll restored = storedUnroll(u -> u.rewardVersion() == back && u.producerId().equals(after.producerId())
                && u.sequence() > after.sequence() + 8 && u.rewards()[u.rewards().length - 1] == 1f, seen);
        assertTrue(switchesAtAnEpisodeStart(restored, 5f, 1f), "rewards of an unroll after the rollback: 5 until an "
                + "episode ended, then 1 (switch-at = episode): " + Arrays.toString(restored.rewards())
                + ", ends " + Arrays.toString(restored.terminated()));
        // the rollback reaches each agent through distributed data, and an agent switches at its episodes' starts:
        // the other agent may still be finishing an episode under v1 when this one's unroll is found
        TestProbe<Agent.Stats> stats = kit.createTestProbe();
        for (ActorRef<Agent.Command> a : agents) {
            stats.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
                a.tell(new Agent.GetStats(stats.ref()));
                assertEquals(back, stats.receiveMessage(Duration.ofSeconds(10)).rewardVersion(),
                        "every agent rolled back");
                return null;
            });
        }

        LateFailingReward.CALLS.set(0);
        long v2 = rewards.submit("CartPole-v1", "class", LateFailingReward.class.getName(), "test", "buggy plugin")
                .toCompletableFuture().get(10, TimeUnit.SECONDS).history().active();
        Agent.RewardEvent fallback = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (fallback == null && System.nanoTime() < deadline) {
            if (reports.receiveMessage(Duration.ofSeconds(30)) instanceof Agent.RewardEvent r) {
                fallback = r;
            }
        }
        assertTrue(fallback != null, "a failing reward is reported");
        assertEquals(v2, fallback.version());
        assertEquals(back, fallback.fallbackVersion(), "falls back to the version used before");
        assertTrue(fallback.reason().contains("late failure"), fallback.reason());
        // the episodes running when it failed mix the two rewards (a fault, reported above); the next ones are pure
        String failedOn = fallback.agentId(); // its reports arrive in order: these episodes came after the fallback
        Agent.EpisodeEnded later = episode(reports, back, x -> x.agentId().equals(failedOn)
                && x.rewardReturn() == x.length());
        assertEquals(later.length(), later.episodeReturn(), 1e-9, "training goes on under the fallback");
    }

    /** Weights of another model (a misconfigured job) are refused with an error; the agent keeps acting, no restart. */
    @Test
    void agentsRefuseWeightsOfAnotherModelAndKeepActing() {
        TestProbe<Agent.Report> reports = kit.createTestProbe();
        ActorRef<Agent.Command> agent = agents("foreign-weights-agent-", 1, reports.ref()).get(0);
        TestProbe<Agent.Stats> stats = kit.createTestProbe();
        stats.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
            agent.tell(new Agent.GetStats(stats.ref()));
            assertTrue(stats.receiveMessage(Duration.ofSeconds(10)).steps() > 0);
            return null;
        });
        var publisher = kit.spawn(WeightsPublisher.create(64 * 1024));
        spawned.add(publisher);
        publisher.tell(new WeightsPublisher.Publish(new PolicyWeights(
                "SomeOtherEnv-v0/mlp", 7, new byte[] {1, 2, 3, 4}), null));
        agent.tell(new Agent.GetStats(stats.ref()));
        long before = stats.receiveMessage().steps();
        stats.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(50), () -> {
            agent.tell(new Agent.GetStats(stats.ref()));
            assertTrue(stats.receiveMessage(Duration.ofSeconds(10)).steps() > before + 2000, "the agent acts on");
            return null;
        });
        agent.tell(new Agent.GetStats(stats.ref()));
        Agent.Stats s = stats.receiveMessage();
        assertTrue(s.policyVersion() != 7, "the foreign weights were not loaded: " + s);
        assertTrue(s.steps() > before, "same incarnation (a restart would count from 0): " + s);
    }
}
