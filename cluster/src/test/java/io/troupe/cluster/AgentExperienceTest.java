package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;
import io.troupe.core.experience.Unroll;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.StepOutcome;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.learners.Learner;
import io.troupe.learners.LearnerAlgorithm;
import io.troupe.learners.LearnerSettings;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.replay.shard.ReplayShard;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import io.troupe.replay.table.SampledItem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What agents put into replay, on a real one-node cluster of its own per test (so no other test's unrolls are in its
 * replay queues): synchronous PPO (max-policy-lag 0) trains every batch on data of the learner's own version, and
 * steps cut off by a time limit carry the behaviour value of the episode's final observation.
 */
class AgentExperienceTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();
    private ActorTestKit kit;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        // leaving the one-node cluster hands replay shards over and checkpoints the learner: more than the test kit's
        // default 10 s on a busy 2-core machine
        kit = TrainingFixtures.oneNodeCluster("agent-experience",
                "pekko.actor.testkit.typed.system-shutdown-default = 60s");
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    private ActorRef<Agent.Command> agent(int index, Config envOverrides, AgentSettings settings, EnvSpec spec,
                                          ActorRef<Agent.Report> reports) {
        return agent(index, () -> REGISTRY.make("CartPole-v1", envOverrides), settings, spec, reports);
    }

    private ActorRef<Agent.Command> agent(int index, Supplier<Env> envs, AgentSettings settings, EnvSpec spec,
                                          ActorRef<Agent.Report> reports) {
        var region = ReplaySharding.init(kit.system(), ReplaySettings.fromConfig(
                kit.system().settings().config().getConfig("troupe.replay")), Optional.empty());
        return kit.spawn(Agent.supervised(new Agent.Spec("agent-" + index, index, 100 + index,
                envs,
                () -> PolicyModel.create(spec, ModelConfig.mlp(64, 64), 1, Device.cpu()), settings, region, reports)),
                "agent-" + index, Agent.dispatcher());
    }

    private AgentSettings settings(int k, int t, int maxPolicyLag) {
        return settings(k, t, maxPolicyLag, Duration.ofSeconds(5));
    }

    private AgentSettings settings(int k, int t, int maxPolicyLag, Duration policyWait) {
        Config c = kit.system().settings().config();
        return new AgentSettings(k, t, c.getInt("troupe.replay.shards"), c.getInt("troupe.replay.max-message-bytes"),
                1, RewardShaper.SwitchAt.EPISODE, maxPolicyLag, policyWait);
    }

    /**
     * A synchronous agent whose learner never publishes (gone, or restarted behind it) still acts: one unroll per
     * policy-wait-timeout, so the data a new learner needs keeps coming.
     */
    @Test
    void aSynchronousAgentWithoutALearnerActsOnAfterEachWait() {
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        TestProbe<Agent.Report> reports = kit.createTestProbe();
        ActorRef<Agent.Command> agent = agent(3, ConfigFactory.empty(), settings(2, 8, 0, Duration.ofMillis(200)), spec,
                reports.ref());
        TestProbe<Agent.Stats> stats = kit.createTestProbe();
        Agent.Stats st;
        boolean sawWaiting = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        do {
            agent.tell(new Agent.GetStats(stats.ref()));
            st = stats.receiveMessage(Duration.ofSeconds(10));
            sawWaiting |= st.state().equals("waiting-for-policy");
        } while (st.unrollsSent() < 3 * 2 && System.nanoTime() < deadline);
        assertTrue(st.unrollsSent() >= 6, "unrolls sent without any published version: " + st);
        assertEquals(-1, st.policyVersion(), st.toString());
        assertTrue(sawWaiting, "the agent waited for a version between unrolls");
    }

    /**
     * With a slice longer than an unroll takes, an agent steps through each unroll within one message: every message
     * it answers finds it at an unroll's end (its step count a multiple of K x T). One step per message would let
     * the stats requests in between steps.
     */
    @Test
    void anAgentActsInSlicesThatEndAtItsUnrollsEnd() {
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        int k = 2;
        int t = 16;
        ActorRef<Agent.Command> agent = agent(4, ConfigFactory.empty(),
                settings(k, t, -1).withActingSlice(Duration.ofSeconds(1)), spec, kit.<Agent.Report>createTestProbe()
                        .ref());
        Set<Long> seen = new java.util.TreeSet<>();
        // 4 unrolls a copy: replay holds about 5 a copy unsampled
        Agent.Stats st = statsUntil(agent, 4 * k, s -> {
            if (s.unrollsSent() > 0) { // the first unroll (libtorch's and the JIT's first calls) may outlast a slice
                seen.add(s.steps());
            }
        });
        assertTrue(st.unrollsSent() >= 4 * k, "the agent kept acting: " + st);
        assertTrue(seen.stream().allMatch(steps -> steps % ((long) k * t) == 0),
                "step counts seen between messages, all at an unroll's end: " + seen);
        assertTrue(seen.size() >= 3, "stats answered while it acted: " + seen);
    }

    /**
     * Asks {@code agent} for its stats, each answer to {@code each}, until it has sent {@code unrolls} unrolls or a
     * minute passed; the last answer.
     */
    private Agent.Stats statsUntil(ActorRef<Agent.Command> agent, long unrolls, Consumer<Agent.Stats> each) {
        TestProbe<Agent.Stats> stats = kit.createTestProbe();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Agent.Stats st;
        do {
            agent.tell(new Agent.GetStats(stats.ref()));
            st = stats.receiveMessage(Duration.ofSeconds(10));
            each.accept(st);
        } while (st.unrollsSent() < unrolls && System.nanoTime() < deadline);
        return st;
    }

    /**
     * The slice's other end: when one env step takes longer than the slice, the slice is spent after every step and a
     * message waiting in the mailbox is answered mid-unroll (the agent does not hold its mailbox to the unroll's end).
     */
    @Test
    void anAgentsSliceEndsMidUnrollOnceItIsSpent() {
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        int k = 2;
        int t = 16;
        Supplier<Env> slow = () -> new SlowSteps(REGISTRY.make("CartPole-v1", ConfigFactory.empty()),
                Duration.ofMillis(3));
        ActorRef<Agent.Command> agent = agent(6, slow, settings(k, t, -1).withActingSlice(Duration.ofMillis(1)), spec,
                kit.<Agent.Report>createTestProbe().ref());
        Set<Long> midUnroll = new java.util.TreeSet<>();
        Agent.Stats st = statsUntil(agent, 3 * k, s -> {
            if (s.steps() % ((long) k * t) != 0) {
                midUnroll.add(s.steps());
            }
        });
        assertTrue(st.unrollsSent() >= 3 * k, "the agent kept acting: " + st);
        // 16 steps of 3 ms a copy per unroll, each step a slice of its own: nearly every position is seen
        assertTrue(midUnroll.size() >= 8, "step counts seen mid-unroll: " + midUnroll);
    }

    /** An env whose every step costs at least {@code cost} of CPU (a slow simulator), otherwise {@code inner}. */
    private static final class SlowSteps extends EnvWrapper {
        private final long costNanos;

        SlowSteps(Env inner, Duration cost) {
            super(inner);
            this.costNanos = cost.toNanos();
        }

        private void spend() {
            long until = System.nanoTime() + costNanos;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }

        @Override
        public StepResult step(Action action) {
            spend();
            return inner.step(action);
        }

        @Override
        public void stepInto(Action action, ObservationBatch out, int row, StepOutcome outcome) {
            spend();
            inner.stepInto(action, out, row, outcome);
        }
    }

    @Test
    void synchronousAgentsGiveTheLearnerDataOfItsOwnVersionOnly() {
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        PpoConfig ppo = new PpoConfig(4, 16, 1e-3, false, 0.99, 0.95, 2, 2, true, 0.2, true, 0.01, 0.5, 0.5, 1_000_000);
        // 2 agents x 4 copies: one unroll per copy is a batch of 8
        LearnerSettings ls = new LearnerSettings("cpu", LearnerAlgorithm.PPO, 8, 1, 1000, dir.resolve("checkpoints"),
                64 * 1024, "learner", false);
        ActorRef<Learner.Command> learner = kit.spawn(Learner.create(new Learner.Spec(spec, ModelConfig.mlp(64, 64),
                ppo, ImpalaConfig.defaults(), ls, 1)), "learner", Learner.dispatcher());
        TestProbe<Agent.Report> reports = kit.createTestProbe();
        List<ActorRef<Agent.Command>> agents = List.of(
                agent(0, ConfigFactory.empty(), settings(4, 16, 0), spec, reports.ref()),
                agent(1, ConfigFactory.empty(), settings(4, 16, 0), spec, reports.ref()));
        TestProbe<Learner.Status> status = kit.createTestProbe();
        Learner.Status s;
        int checked = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        do {
            learner.tell(new Learner.GetStatus(status.ref()));
            s = status.receiveMessage(Duration.ofSeconds(30));
            if (s.updates() > 0) {
                // the learner's version when it trained minus the version that acted: 0 for every unroll of the batch
                assertEquals(0, s.lagMax(), "policy lag of the latest batch: " + s);
                checked++;
            }
        } while (s.updates() < 12 && System.nanoTime() < deadline);
        assertTrue(s.updates() >= 12, "the learner kept training on the agents' batches: " + s);
        assertEquals(0, s.partialUpdates(), "every update had one unroll from each env copy: " + s);
        assertTrue(checked >= 3, "lag checked on " + checked + " status replies");
        TestProbe<Agent.Stats> stats = kit.createTestProbe();
        for (ActorRef<Agent.Command> a : agents) {
            a.tell(new Agent.GetStats(stats.ref()));
            Agent.Stats st = stats.receiveMessage(Duration.ofSeconds(30));
            // an agent acts one unroll per version: it cannot be more than one unroll ahead of the learner
            assertTrue(st.policyVersion() >= 10 && st.unrollsSent() <= 4L * (st.policyVersion() + 1), st.toString());
        }
        agents.forEach(a -> kit.stop(a, Duration.ofSeconds(30)));
        kit.stop(learner, Duration.ofSeconds(30));
    }

    @Test
    void stepsCutOffByATimeLimitCarryTheValueOfTheFinalObservation() {
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        TestProbe<Agent.Report> reports = kit.createTestProbe();
        // 8-step episodes: most end by the time limit, some terminate first
        agent(2, ConfigFactory.parseString("max-episode-steps = 8"), settings(4, 16, -1), spec, reports.ref());
        TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        TestProbe<ReplayShard.SampleReply> replies = kit.createTestProbe();
        List<Unroll> unrolls = new ArrayList<>();
        long request = 0;
        while (unrolls.size() < 8 && System.nanoTime() < deadline) {
            // every shard registered so far (the agent's may register after the others)
            kit.system().receptionist().tell(Receptionist.find(ReplayShard.SERVICE_KEY, listing.ref()));
            Set<ActorRef<ReplayShard.Command>> shards = listing.receiveMessage(Duration.ofSeconds(10))
                    .getServiceInstances(ReplayShard.SERVICE_KEY);
            for (ActorRef<ReplayShard.Command> shard : shards) {
                shard.tell(new ReplayShard.Sample(++request, 4, replies.ref(), true, 2000));
                ReplayShard.SampleReply r = replies.receiveMessage(Duration.ofSeconds(10));
                while (r instanceof ReplayShard.Sampled sampled) {
                    for (SampledItem item : sampled.items()) {
                        unrolls.add((Unroll) item.item());
                    }
                    r = sampled.last() ? null : replies.receiveMessage(Duration.ofSeconds(10));
                }
            }
        }
        assertTrue(unrolls.size() >= 8, "unrolls sampled: " + unrolls.size());
        int cutOff = 0;
        int terminated = 0;
        for (Unroll u : unrolls) {
            assertTrue(u.hasTruncationValues(), u + " has no truncation values");
            for (int t = 0; t < u.length(); t++) {
                boolean cut = u.truncated()[t] && !u.terminated()[t];
                if (cut) {
                    cutOff++;
                    assertTrue(u.truncationValues()[t] != 0f && Float.isFinite(u.truncationValues()[t]),
                            u + " step " + t + ": a cut-off step carries the final observation's value");
                } else {
                    assertEquals(0f, u.truncationValues()[t], u + " step " + t + " did not end by the time limit");
                }
                terminated += u.terminated()[t] ? 1 : 0;
            }
        }
        assertTrue(cutOff >= 8, "time-limit ends seen: " + cutOff + " (terminations: " + terminated + ")");
    }
}
