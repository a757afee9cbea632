package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.core.experience.Unroll;
import io.troupe.core.reward.RewardHistory;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.replay.shard.ReplayProducer;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import io.troupe.transport.registry.RewardRegistry;
import io.troupe.transport.weights.WeightsFetcher;
import io.troupe.transport.weights.WeightsPublisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Learner actor on a real one-node cluster: it samples CartPole unrolls from replay shards fed through reliable
 * delivery, trains with DJL on its own dispatcher, publishes versions that a fetcher receives and loads, checkpoints,
 * and a new learner resumes the version numbering from the checkpoint.
 */
class LearnerActorTest {
    private static ActorTestKit kit;
    private static final int LENGTH = 32;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        kit = startCluster("learner-test");
    }

    /** A one-node cluster with every role and a two-shard replay queue. */
    private static ActorTestKit startCluster(String name) {
        // port 0: Artery binds a free port itself, and the self address (joined below) carries the port it took
        Config config = ConfigFactory.parseString("""
                troupe.replay { shards = 2, table { max-size = 64, max-times-sampled = 1, sampler = fifo,
                                                    rate-limiter.kind = queue }, sample-timeout = 500ms }
                """)
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
                .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.of("replay", "learner",
                        "agent")))
                .withValue("pekko.cluster.jmx.multi-mbeans-in-same-jvm", ConfigValueFactory.fromAnyRef(true))
                .withValue("pekko.loglevel", ConfigValueFactory.fromAnyRef("WARNING"))
                .withFallback(ConfigFactory.load()).resolve();
        ActorTestKit testKit = ActorTestKit.create(name, config);
        Cluster c = Cluster.get(testKit.system());
        c.manager().tell(Join.create(c.selfMember().address()));
        return testKit;
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    /** Unrolls of the uniform-random policy on real CartPole copies. */
    private static List<Unroll> unrolls(EnvSpec[] specOut, int count) {
        EnvRegistry registry = EnvRegistry.defaults();
        List<Unroll> out = new ArrayList<>();
        try (VectorEnv vec = VectorEnv.of(() -> registry.make("CartPole-v1"), 1)) {
            specOut[0] = vec.spec();
            vec.reset(7);
            SplittableRandom rng = new SplittableRandom(7);
            for (int u = 0; u < count; u++) {
                ObservationBatch obs = ObservationBatch.forSpace(vec.spec().observationSpace(), LENGTH + 1);
                int[] actions = new int[LENGTH];
                float[] rewards = new float[LENGTH];
                boolean[] term = new boolean[LENGTH];
                boolean[] trunc = new boolean[LENGTH];
                float[] logp = new float[LENGTH];
                for (int t = 0; t < LENGTH; t++) {
                    vec.observations().copyRow(0, obs, t);
                    actions[t] = rng.nextInt(2);
                    logp[t] = (float) Math.log(0.5);
                    vec.step(new int[] {actions[t]});
                    rewards[t] = (float) vec.rewards()[0];
                    term[t] = vec.terminated()[0];
                    trunc[t] = vec.truncated()[0];
                }
                vec.observations().copyRow(0, obs, LENGTH);
                out.add(new Unroll("random-agent", u, obs, actions, new float[0], rewards, term, trunc, new float[0],
                        logp, new float[LENGTH], 0, 0));
            }
        }
        return out;
    }

    private Learner.Spec spec(EnvSpec env, Path checkpoints) {
        return spec(env, checkpoints, 2);
    }

    private Learner.Spec spec(EnvSpec env, Path checkpoints, int checkpointEvery) {
        PpoConfig ppo = new PpoConfig(4, 128, 1e-3, false, 0.99, 0.95, 4, 2, true, 0.2, true, 0.01, 0.5, 0.5, 100_000);
        LearnerSettings settings = new LearnerSettings("cpu", LearnerAlgorithm.PPO, 8, 1, checkpointEvery, checkpoints,
                64 * 1024, "learner", false);
        return new Learner.Spec(env, ModelConfig.mlp(64, 64), ppo, ImpalaConfig.defaults(), settings, 1);
    }

    /**
     * A learner whose model is split into pipeline stages reports them and GPipe's bubble fraction in its status; one
     * whose model exceeds troupe.learner.device-memory-budget on its device is refused before it allocates (it stops).
     */
    @Test
    void aPipelinedLearnerReportsItsBubbleAndAModelOverTheBudgetIsRefused() {
        EnvSpec[] env = new EnvSpec[1];
        unrolls(env, 1);
        Learner.Spec base = spec(env[0], dir.resolve("pipeline-checkpoints"));
        ModelConfig split = ModelConfig.transformer(16, 2, 2, 32, 6, 1).withParallelism(new Parallelism(2, 4));
        ActorRef<Learner.Command> learner = kit.spawn(Learner.create(new Learner.Spec(base.env(), split, base.ppo(),
                base.impala(), base.settings(), 1)), "pipelined-learner", Learner.dispatcher());
        TestProbe<Learner.Status> status = kit.createTestProbe();
        learner.tell(new Learner.GetStatus(status.ref()));
        Learner.Status s = status.receiveMessage(Duration.ofSeconds(30));
        assertEquals(2, s.pipelineStages());
        assertEquals(4, s.microBatches());
        assertEquals(0.2, s.bubbleFraction(), 1e-12, "(K-1)/(M+K-1) = 1/5");
        kit.stop(learner);

        LearnerSettings b = base.settings();
        LearnerSettings tight = new LearnerSettings(b.device(), b.algorithm(), b.batchUnrolls(), b.publishEvery(),
                b.checkpointEvery(), dir.resolve("budget-checkpoints"), b.chunkBytes(), b.role(),
                b.dropStaleRewards(), b.sampleWait(), b.partialBatchAfter(), b.refusedRetry(), 64 * 1024, 0);
        ActorRef<Learner.Command> refused = kit.spawn(Learner.create(new Learner.Spec(base.env(), split, base.ppo(),
                base.impala(), tight, 1)), "over-budget-learner", Learner.dispatcher());
        TestProbe<Learner.Status> watcher = kit.createTestProbe();
        watcher.expectTerminated(refused, Duration.ofSeconds(30));
    }

    /**
     * A batch with a NaN reward is skipped and counted: no version is published and no checkpoint written for it
     * (with publish-every = checkpoint-every = 1), and the next good batch publishes version 1, not 2. On its own
     * one-node cluster, so no other test's learner samples the same shards.
     */
    @Test
    void aSkippedUpdateNeitherPublishesNorCheckpoints() throws Exception {
        EnvSpec[] env = new EnvSpec[1];
        List<Unroll> good = unrolls(env, 16);
        List<Unroll> poisoned = new ArrayList<>();
        for (Unroll u : good.subList(0, 8)) {
            float[] rewards = u.rewards().clone();
            rewards[5] = Float.NaN; // a reward function gone wrong on one step
            poisoned.add(new Unroll(u.producerId(), u.sequence(), u.observations(), u.discreteActions(),
                    u.continuousActions(), rewards, u.terminated(), u.truncated(), u.behaviourLogits(),
                    u.behaviourLogProbs(), u.values(), u.policyVersion(), u.rewardVersion()));
        }
        ActorTestKit own = startCluster("learner-skip-test");
        try {
            TestProbe<WeightsPublisher.LocalWeights> published = own.createTestProbe();
            own.system().eventStream().tell(new EventStream.Subscribe<>(WeightsPublisher.LocalWeights.class,
                    published.ref()));
            Path checkpoints = dir.resolve("skip-checkpoints");
            ActorRef<Learner.Command> learner = own.spawn(Learner.create(spec(env[0], checkpoints, 1)), "learner",
                    Learner.dispatcher());
            assertEquals(0, published.receiveMessage(Duration.ofSeconds(30)).weights().version(), "the start version");
            var region = ReplaySharding.init(own.system(),
                    ReplaySettings.fromConfig(own.system().settings().config().getConfig("troupe.replay")),
                    Optional.empty());
            ActorRef<ReplayProducer.Command> producer = own.spawn(ReplayProducer.create("skip-agent", region,
                    Duration.ofSeconds(60)));
            for (int b = 0; b < 2; b++) {
                producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(b), ExperienceBatch.of(
                        new ArrayList<ReplayItem>(poisoned.subList(b * 4, b * 4 + 4))), b, null));
            }
            TestProbe<Learner.Status> status = own.createTestProbe();
            Learner.Status skipped = status.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
                learner.tell(new Learner.GetStatus(status.ref()));
                Learner.Status s = status.receiveMessage();
                assertEquals(1, s.skippedUpdates(), s.toString());
                return s;
            });
            assertEquals(0, skipped.updates(), skipped.toString());
            assertEquals(0, skipped.policyVersion(), "no version published for the skipped update");
            assertFalse(Files.exists(checkpoints) && Files.list(checkpoints).findAny().isPresent(),
                    "no checkpoint written for the skipped update");

            for (int b = 0; b < 2; b++) {
                producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(b), ExperienceBatch.of(
                        new ArrayList<ReplayItem>(good.subList(8 + b * 4, 12 + b * 4))), 2 + b, null));
            }
            Learner.Status trained = status.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
                learner.tell(new Learner.GetStatus(status.ref()));
                Learner.Status s = status.receiveMessage();
                assertEquals(1, s.updates(), s.toString());
                return s;
            });
            assertEquals(1, trained.policyVersion());
            assertEquals(1, trained.skippedUpdates());
            assertEquals(1, published.receiveMessage(Duration.ofSeconds(30)).weights().version(),
                    "the good update publishes version 1: the skipped one took no version");
            assertTrue(Files.list(checkpoints).findAny().isPresent(), "the good update checkpoints");
            own.stop(learner, Duration.ofSeconds(20));
            own.stop(producer, Duration.ofSeconds(20));
        } finally {
            // the replay region's graceful shutdown may outlast the kit's default 10 s on a loaded machine
            ActorTestKit.shutdown(own.system(), Duration.ofSeconds(30), false);
        }
    }

    @Test
    void trainsPublishesCheckpointsAndResumes() {
        EnvSpec[] env = new EnvSpec[1];
        List<Unroll> data = unrolls(env, 96);
        var region = ReplaySharding.init(kit.system(),
                ReplaySettings.fromConfig(kit.system().settings().config().getConfig("troupe.replay")), Optional.empty());
        ActorRef<ReplayProducer.Command> producer = kit.spawn(ReplayProducer.create("random-agent-1", region,
                Duration.ofSeconds(60)));
        TestProbe<PolicyWeights> weights = kit.createTestProbe();
        kit.spawn(WeightsFetcher.create(weights.ref(), Duration.ofSeconds(3)));

        Path checkpoints = dir.resolve("checkpoints");
        ActorRef<Learner.Command> learner = kit.spawn(Learner.create(spec(env[0], checkpoints)), "learner",
                Learner.dispatcher());
        for (int b = 0; b < data.size() / 8; b++) {
            List<ReplayItem> items = new ArrayList<>(data.subList(b * 8, b * 8 + 8));
            producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(b % 2), ExperienceBatch.of(items), b, null));
        }
        TestProbe<Learner.Status> status = kit.createTestProbe();
        status.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
            learner.tell(new Learner.GetStatus(status.ref()));
            Learner.Status s = status.receiveMessage();
            assertTrue(s.updates() >= 6, "updates " + s.updates());
            return null;
        });
        learner.tell(new Learner.GetStatus(status.ref()));
        Learner.Status before = status.receiveMessage();
        assertEquals("ppo", before.algorithm());
        assertTrue(before.thread().contains("troupe.learner.dispatcher"), "runs on its dispatcher: " + before.thread());
        assertEquals(2, before.shards());
        assertTrue(before.stepsConsumed() >= 6 * 8 * LENGTH / 2, "steps " + before.stepsConsumed());

        // the fetcher sees versions go up, and they load into a model of the same architecture
        PolicyWeights latest = weights.receiveMessage(Duration.ofSeconds(10));
        while (latest.version() < 3) {
            latest = weights.receiveMessage(Duration.ofSeconds(10));
        }
        try (PolicyModel agentModel = PolicyModel.create(env[0], ModelConfig.mlp(64, 64), 5, Device.cpu())) {
            agentModel.load(latest);
        }

        kit.stop(learner, Duration.ofSeconds(20)); // writes a final checkpoint
        ActorRef<Learner.Command> resumed = kit.spawn(Learner.create(spec(env[0], checkpoints)), "learner-2",
                Learner.dispatcher());
        resumed.tell(new Learner.GetStatus(status.ref()));
        Learner.Status after = status.receiveMessage(Duration.ofSeconds(30));
        assertTrue(after.policyVersion() >= before.policyVersion(), "versions continue: " + before.policyVersion()
                + " then " + after.policyVersion());
        assertTrue(after.updates() >= before.updates());
        kit.stop(resumed, Duration.ofSeconds(20));

        // the same learner as the cluster singleton of the learner role, reached through its proxy
        ActorRef<Learner.Command> proxy = Learner.initSingleton(kit.system(), spec(env[0], checkpoints));
        status.awaitAssert(Duration.ofSeconds(30), Duration.ofMillis(200), () -> {
            proxy.tell(new Learner.GetStatus(status.ref()));
            Learner.Status s = status.receiveMessage(Duration.ofSeconds(2));
            assertTrue(s.policyVersion() >= after.policyVersion(), "singleton resumed at " + s.policyVersion());
            assertTrue(s.thread().contains("troupe.learner.dispatcher"), s.thread());
            return null;
        });
    }

    /** A learner whose latest checkpoint is damaged resumes from the previous one and says so in its status. */
    @Test
    void aDamagedLatestCheckpointResumesFromThePreviousAndTheStatusSaysSo() throws Exception {
        EnvSpec[] env = new EnvSpec[1];
        unrolls(env, 1);
        Path checkpoints = dir.resolve("damaged-checkpoints");
        try (PolicyModel model = PolicyModel.create(env[0], ModelConfig.mlp(64, 64), 3, Device.cpu())) {
            Adam adam = Adam.withDefaults(model.parameters(), model.manager());
            LearnerCheckpoint.save(checkpoints, model, adam, new LearnerCheckpoint.Counters(10, 1000, 10));
            LearnerCheckpoint.save(checkpoints, model, adam, new LearnerCheckpoint.Counters(20, 2000, 20));
        }
        Path weightsFile = checkpoints.resolve("latest").resolve("weights.trpw");
        byte[] bytes = Files.readAllBytes(weightsFile);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(weightsFile, bytes);

        ActorRef<Learner.Command> learner = kit.spawn(Learner.create(spec(env[0], checkpoints)), "damaged-learner",
                Learner.dispatcher());
        TestProbe<Learner.Status> status = kit.createTestProbe();
        learner.tell(new Learner.GetStatus(status.ref()));
        Learner.Status s = status.receiveMessage(Duration.ofSeconds(30));
        assertEquals(10, s.policyVersion(), "resumed at the previous checkpoint's version");
        assertTrue(s.resumedFrom().contains("previous") && s.resumedFrom().contains("unreadable"), s.resumedFrom());
        kit.stop(learner, Duration.ofSeconds(20));
    }

    /** With drop-stale-rewards, unrolls made under another reward version than the registry's active one are dropped. */
    @Test
    void dropsExperienceOfInactiveRewardVersions() throws Exception {
        EnvSpec[] env = new EnvSpec[1];
        List<Unroll> data = unrolls(env, 32);
        var self = DistributedData.get(kit.system()).selfUniqueAddress();
        RewardHistory history = RewardHistory.initial(env[0].id())
                .submit("expr", "5", "test", 1, "");
        TestProbe<Replicator.UpdateResponse<
                LWWRegister<RewardHistory>>> written =
                kit.createTestProbe();
        DistributedData.get(kit.system()).replicator().tell(
                new Replicator.Update<>(
                        RewardRegistry.key(env[0].id()),
                        LWWRegister.create(self, history),
                        Replicator.writeLocal(), written.ref(),
                        r -> r.withValue(self, history)));
        written.receiveMessage(Duration.ofSeconds(10));

        Path checkpoints = dir.resolve("stale-checkpoints");
        Learner.Spec base = spec(env[0], checkpoints);
        LearnerSettings s = base.settings();
        Learner.Spec dropping = new Learner.Spec(base.env(), base.model(), base.ppo(), base.impala(),
                new LearnerSettings(s.device(), s.algorithm(), s.batchUnrolls(), s.publishEvery(), s.checkpointEvery(),
                        checkpoints, s.chunkBytes(), s.role(), true), base.seed());
        ActorRef<Learner.Command> learner = kit.spawn(Learner.create(dropping), "stale-learner",
                Learner.dispatcher());
        TestProbe<Learner.Status> status = kit.createTestProbe();
        status.awaitAssert(Duration.ofSeconds(20), Duration.ofMillis(100), () -> {
            learner.tell(new Learner.GetStatus(status.ref()));
            assertEquals(1, status.receiveMessage().activeRewardVersion(), "the learner follows the registry");
            return null;
        });
        var region = ReplaySharding.init(kit.system(),
                ReplaySettings.fromConfig(kit.system().settings().config().getConfig("troupe.replay")), Optional.empty());
        ActorRef<ReplayProducer.Command> producer = kit.spawn(ReplayProducer.create("stale-agent", region,
                Duration.ofSeconds(60)));
        for (int b = 0; b < 4; b++) {
            List<ReplayItem> items = new ArrayList<>();
            for (Unroll u : data.subList(b * 8, b * 8 + 8)) {
                long version = b < 2 ? 0 : 1; // the first 16 under the env's reward, the last 16 under version 1
                items.add(new Unroll(u.producerId(), u.sequence(), u.observations(), u.discreteActions(),
                        u.continuousActions(), u.rewards(), u.terminated(), u.truncated(), u.behaviourLogits(),
                        u.behaviourLogProbs(), u.values(), u.policyVersion(), version));
            }
            producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(b % 2), ExperienceBatch.of(items), b, null));
        }
        status.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(200), () -> {
            learner.tell(new Learner.GetStatus(status.ref()));
            Learner.Status st = status.receiveMessage();
            assertEquals(16, st.droppedStaleUnrolls(), st.toString());
            assertTrue(st.updates() >= 1 && st.stepsConsumed() <= 16L * LENGTH, st.toString());
            return null;
        });
        kit.stop(learner, Duration.ofSeconds(20));
        kit.stop(producer, Duration.ofSeconds(20));
    }
}
