package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.Config;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.StepResult;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.StepOutcome;
import io.troupe.learners.Learner;
import io.troupe.learners.LearnerAlgorithm;
import io.troupe.learners.LearnerSettings;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed path on a real one-node cluster: agents (DJL inference on their dispatcher) stream unrolls through
 * reliable delivery into replay queues, the learner trains PPO on them and publishes versions, the agents pick the
 * versions up, and CartPole's return rises. A failing env restarts its agent under supervision.
 */
class DistributedTrainingTest {
    private static ActorTestKit kit;
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        kit = TrainingFixtures.oneNodeCluster("distributed-test",
                "troupe.agent { envs-per-agent = 4, unroll-length = 32 }");
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static Agent.Spec agent(int index, Supplier<Env> envs, ActorRef<Agent.Report> reports,
                                    EnvSpec spec, ActorRef<ShardingEnvelope<
                                            ConsumerController.SequencedMessage<
                                                    ExperienceBatch>>> region) {
        return new Agent.Spec("agent-" + index, index, 100 + index, envs,
                () -> PolicyModel.create(spec, ModelConfig.mlp(64, 64), 1, Device.cpu()),
                AgentSettings.fromConfig(kit.system().settings().config()), region, reports);
    }

    @Test
    void agentsLearnerAndReplayTrainCartPoleTogether() {
        Config config = kit.system().settings().config();
        var region = ReplaySharding.init(kit.system(), ReplaySettings.fromConfig(config.getConfig("troupe.replay")),
                Optional.empty());
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        PpoConfig ppo = new PpoConfig(4, 64, 1e-3, false, 0.99, 0.95, 4, 4, true, 0.2, true, 0.01, 0.5, 0.5, 1_000_000);
        LearnerSettings ls = new LearnerSettings("cpu", LearnerAlgorithm.PPO, 8, 1, 1000, dir.resolve("checkpoints"),
                64 * 1024, "learner", false);
        ActorRef<Learner.Command> learner = kit.spawn(Learner.create(new Learner.Spec(spec, ModelConfig.mlp(64, 64),
                ppo, ImpalaConfig.defaults(), ls, 1)), "learner", Learner.dispatcher());
        TestProbe<Agent.Report> reports = kit.createTestProbe();
        List<ActorRef<Agent.Command>> agents = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            agents.add(kit.spawn(Agent.supervised(agent(i, () -> REGISTRY.make("CartPole-v1"), reports.ref(), spec,
                    region)), "agent-" + i, Agent.dispatcher()));
        }
        List<Double> returns = new ArrayList<>();
        long newestVersionSeen = -1;
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (System.nanoTime() < deadline) {
            Agent.Report r = reports.receiveMessage(Duration.ofSeconds(30));
            if (r instanceof Agent.EpisodeEnded e) {
                returns.add(e.episodeReturn());
                newestVersionSeen = Math.max(newestVersionSeen, e.policyVersion());
                if (returns.size() >= 30 && mean(returns, 30) >= 100) {
                    break;
                }
            }
        }
        double last = mean(returns, 30);
        assertTrue(last >= 100, "30-episode mean return " + last + " after " + returns.size() + " episodes "
                + "(the random policy averages about 22)");
        assertTrue(newestVersionSeen >= 5, "agents acted with published versions, newest " + newestVersionSeen);
        TestProbe<Learner.Status> status = kit.createTestProbe();
        learner.tell(new Learner.GetStatus(status.ref()));
        Learner.Status s = status.receiveMessage(Duration.ofSeconds(30));
        assertTrue(s.updates() >= 5 && s.policyVersion() >= newestVersionSeen, s.toString());
        TestProbe<Agent.Stats> stats = kit.createTestProbe();
        agents.get(0).tell(new Agent.GetStats(stats.ref()));
        assertTrue(stats.receiveMessage(Duration.ofSeconds(30)).policyVersion() >= 1);
        agents.forEach(a -> kit.stop(a, Duration.ofSeconds(20)));
        kit.stop(learner, Duration.ofSeconds(20));
    }

    private static double mean(List<Double> xs, int n) {
        if (xs.size() < n) {
            return 0;
        }
        return xs.subList(xs.size() - n, xs.size()).stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }

    /** CartPole that throws once, at its 100th step across all copies. */
    static final class FailingOnce extends EnvWrapper {
        static final AtomicInteger COUNTDOWN = new AtomicInteger(100);

        FailingOnce(Env inner) {
            super(inner);
        }

        @Override
        public StepResult step(Action action) {
            tick();
            return super.step(action);
        }

        @Override
        public void stepInto(Action action, ObservationBatch out, int row,
                             StepOutcome outcome) {
            tick();
            super.stepInto(action, out, row, outcome);
        }

        private static void tick() {
            if (COUNTDOWN.decrementAndGet() == 0) {
                throw new IllegalStateException("simulated env failure");
            }
        }

        @Override
        public Observation reset(long seed) {
            return super.reset(seed);
        }
    }

    @Test
    void aFailingAgentIsRestartedReportsTheAbortAndKeepsActing() {
        Config config = kit.system().settings().config();
        var region = ReplaySharding.init(kit.system(), ReplaySettings.fromConfig(config.getConfig("troupe.replay")),
                Optional.empty());
        EnvSpec spec = REGISTRY.spec("CartPole-v1");
        TestProbe<Agent.Report> reports = kit.createTestProbe();
        ActorRef<Agent.Command> flaky = kit.spawn(Agent.supervised(agent(7,
                () -> new FailingOnce(REGISTRY.make("CartPole-v1")), reports.ref(), spec, region)), "flaky",
                Agent.dispatcher());
        Agent.Aborted aborted = null;
        while (aborted == null) {
            if (reports.receiveMessage(Duration.ofSeconds(30)) instanceof Agent.Aborted a) {
                aborted = a;
            }
        }
        assertTrue(aborted.reason().contains("simulated env failure"), aborted.reason());
        assertTrue(aborted.episodes() == 4, "the running episodes are counted as aborted");
        // the restarted agent acts again: its step counter (a new incarnation's, from 0) moves. Not an episode's end:
        // it may have taken the previous test's trained weights from this node, and their episodes last long
        TestProbe<Agent.Stats> stats = kit.createTestProbe();
        stats.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(100), () -> {
            flaky.tell(new Agent.GetStats(stats.ref()));
            Agent.Stats s = stats.receiveMessage(Duration.ofSeconds(5));
            assertTrue(s.steps() > 0,
                    "the restarted agent keeps acting: " + s);
            return null;
        });
        kit.stop(flaky, Duration.ofSeconds(20));
    }
}
