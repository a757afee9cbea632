package io.troupe.serving.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.PolicyWeights;
import io.troupe.core.StepResult;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.serving.batch.BatcherSettings;
import io.troupe.serving.drift.DriftMonitor;
import io.troupe.serving.drift.DriftSettings;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.ModelSource;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.ServedPolicy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A serve node's follower goes on checking and serving newer versions while a version's drift profile is recorded
 * (the profile's episodes run on the profiler's thread), and asks for one profile at a time.
 */
class WeightsFollowerTest {
    private static final EnvSpec CARTPOLE = EnvRegistry.defaults().spec("CartPole-v1");
    private static final ModelConfig MLP = ModelConfig.mlp(16);
    private static final BatcherSettings BATCHING = new BatcherSettings(64, 8, Duration.ZERO, 1, Duration.ofMinutes(1));
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("weights-follower");
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    /**
     * CartPole whose resets wait until {@code open} opens, after counting down {@code resetting}; {@code seeded} counts
     * the resets from a seed (a profile's first reset of each of its env copies).
     */
    private record GatedEnv(Env env, CountDownLatch resetting, CountDownLatch open, AtomicInteger seeded)
            implements Env {
        @Override
        public EnvSpec spec() {
            return env.spec();
        }

        @Override
        public Observation reset(long seed) {
            seeded.incrementAndGet();
            await();
            return env.reset(seed);
        }

        @Override
        public Observation reset() {
            await();
            return env.reset();
        }

        private void await() {
            resetting.countDown();
            try {
                assertTrue(open.await(60, TimeUnit.SECONDS), "the test opens the gate");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public StepResult step(Action action) {
            return env.step(action);
        }
    }

    private static PolicyWeights weights(long seed, long version) {
        try (PolicyModel m = PolicyModel.create(CARTPOLE, MLP, seed, Device.cpu())) {
            return m.weights(version);
        }
    }

    private static long referenceVersion(ServedPolicy p) {
        return p.drift().map(DriftMonitor::referenceVersion).orElse(-1L);
    }

    @Test
    void newerVersionsAreServedWhileAProfileIsRecordedAndProfilesAreAskedForOneAtATime() throws Exception {
        CountDownLatch resetting = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        AtomicInteger seeded = new AtomicInteger();
        Supplier<Env> envs = () -> new GatedEnv(EnvRegistry.defaults().make("CartPole-v1"), resetting, open, seeded);
        // a profile of each version served once the last is 1 ms old: only the one-at-a-time rule holds one back
        DriftSettings drift = new DriftSettings(true, 1000, 100, 0.2, 0.25, 4, 0.05, 1.0, Duration.ofMillis(1));
        PolicyRegistry registry = new PolicyRegistry();
        CompletableFuture<ActorRef<PolicyWeights>> subscribed = new CompletableFuture<>();
        TestProbe<Void> probe = kit.createTestProbe();
        try (ServedPolicy policy = ServedPolicy.start("cartpole-v1", new ModelSource(CARTPOLE, MLP, 1, -1), BATCHING,
                new ServingMetrics())) {
            // on its own dispatcher, as ServeNode starts it
            kit.spawn(WeightsFollower.create(policy, registry, drift, envs, (system, ref) -> subscribed.complete(ref)),
                    "follower", WeightsFollower.dispatcher());
            ActorRef<PolicyWeights> versions = subscribed.get(30, TimeUnit.SECONDS);

            versions.tell(weights(2, 1));
            assertTrue(resetting.await(30, TimeUnit.SECONDS), "version 1 served and its profile started");
            assertEquals(1, policy.info().policyVersion());
            assertTrue(registry.find("cartpole-v1").isPresent(), "the policy is registered with its first version");

            // the profile of version 1 is held at its first reset; version 2 is checked and served all the same
            versions.tell(weights(3, 2));
            probe.awaitAssert(WAIT, () -> {
                assertEquals(2, policy.info().policyVersion());
                return null;
            });
            assertEquals(-1, referenceVersion(policy), "version 1's profile is still being recorded");

            open.countDown();
            probe.awaitAssert(WAIT, () -> {
                assertEquals(1, referenceVersion(policy), "version 1's profile, recorded once the gate opened");
                return null;
            });
            int perProfile = seeded.get();
            // version 3, arriving with no profile under way and the last older than 1 ms, is profiled; version 2,
            // which arrived while version 1 was profiled, was not queued for a profile of its own (the profiler runs
            // one at a time in order, so it would have run before version 3's)
            versions.tell(weights(4, 3));
            probe.awaitAssert(WAIT, () -> {
                assertEquals(3, referenceVersion(policy));
                return null;
            });
            assertEquals(3, policy.info().policyVersion());
            assertEquals(2 * perProfile, seeded.get(), "two profiles, of versions 1 and 3");
        }
    }
}
