package io.troupe.cluster.bench;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Dict;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoUpdate;
import io.troupe.learners.ppo.RolloutBatch;
import io.troupe.replay.weights.WeightsFetcher;
import io.troupe.replay.weights.WeightsPublisher;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * {@code troupe bench learner}: for each model, PPO updates per second on a rollout of {@code num-envs x num-steps}
 * observations ({@code updates_per_s}), the experience steps that consumes per second ({@code samples_per_s}), and
 * {@code publish_ms}: serialize one weights version and deliver it to a fetcher on another ActorSystem on loopback
 * (median of several publications).
 */
public final class LearnerBench {
    /** One model to measure. */
    public record Case(String name, String envId, ModelConfig model) {
    }

    private LearnerBench() {
    }

    public static List<Case> defaultCases() {
        return List.of(new Case("CartPole-v1 mlp", "CartPole-v1", ModelConfig.mlp(64, 64)),
                new Case("CartPole-v1 transformer", "CartPole-v1", ModelConfig.transformer(32, 4, 1, 64, 6, 4)),
                new Case("GoToObject-v0 transformer", "GoToObject-v0", ModelConfig.transformer(32, 4, 1, 64, 6, 1)));
    }

    public static Map<String, Object> run(List<Case> cases, Device device, double seconds, int publishes)
            throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        Map<String, Object> out = new LinkedHashMap<>();
        PpoConfig ppo = PpoConfig.cleanRl();
        for (Case c : cases) {
            EnvSpec spec = registry.spec(c.envId());
            try (PolicyModel model = PolicyModel.create(spec, c.model(), 1, device);
                 Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
                RolloutBatch batch = syntheticRollout(spec, ppo.batchSize());
                SplittableRandom rng = new SplittableRandom(1);
                PpoUpdate.update(model, adam, batch, ppo, 1e-4, rng); // warm-up
                long start = System.nanoTime();
                int updates = 0;
                while (System.nanoTime() - start < seconds * 1e9) {
                    PpoUpdate.update(model, adam, batch, ppo, 1e-4, rng);
                    updates++;
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("updates_per_s", Math.round(updates / elapsed * 100) / 100.0);
                m.put("samples_per_s", Math.round(updates * (double) ppo.batchSize() / elapsed));
                m.put("parameters", model.parameterCount());
                m.put("weights_bytes", model.weights(0).bytes().length);
                m.put("publish_ms", publishMs(model.weights(0), publishes));
                m.put("device", device.toString());
                out.put(c.name(), m);
            }
        }
        return out;
    }

    private static RolloutBatch syntheticRollout(EnvSpec spec, int n) {
        ObservationBatch obs = ObservationBatch.forSpace(spec.observationSpace(), n);
        SplittableRandom rng = new SplittableRandom(3);
        for (int r = 0; r < n; r++) {
            obs.write(r, spec.observationSpace() instanceof Dict d ? d.sample(rng)
                    : io.troupe.core.Observation.of((io.troupe.core.Tensor) spec.observationSpace().sample(rng)));
        }
        int actions = ((io.troupe.core.space.Discrete) spec.actionSpace()).n();
        int[] a = new int[n];
        float[] logp = new float[n];
        float[] v = new float[n];
        float[] adv = new float[n];
        float[] ret = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextInt(actions);
            logp[i] = (float) Math.log(1.0 / actions);
            adv[i] = (float) rng.nextGaussian();
            ret[i] = (float) rng.nextGaussian();
        }
        return new RolloutBatch(obs, a, logp, v, adv, ret);
    }

    /** Median milliseconds from publishing a version on one node to a fetcher on another holding all its bytes. */
    static double publishMs(PolicyWeights weights, int publishes) throws Exception {
        int a = freePort();
        int b = freePort();
        ActorSystem<Void> learner = ActorSystem.create(Behaviors.empty(), "bench-publish", node(a, a));
        ActorSystem<Void> agent = ActorSystem.create(Behaviors.empty(), "bench-publish", node(b, a));
        try {
            CompletableFuture<Void> learnerUp = new CompletableFuture<>();
            CompletableFuture<Void> agentUp = new CompletableFuture<>();
            org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(learner)).registerOnMemberUp(
                    () -> learnerUp.complete(null));
            org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(agent)).registerOnMemberUp(
                    () -> agentUp.complete(null));
            Cluster.get(learner).manager().tell(Join.create(Cluster.get(learner).selfMember().address()));
            Cluster.get(agent).manager().tell(Join.create(Cluster.get(learner).selfMember().address()));
            CompletableFuture<Void> formed = CompletableFuture.allOf(learnerUp, agentUp);
            formed.get(30, TimeUnit.SECONDS);
            LinkedBlockingQueue<PolicyWeights> received = new LinkedBlockingQueue<>();
            ActorRef<PolicyWeights> sink = agent.systemActorOf(Behaviors.receiveMessage(w -> {
                received.add(w);
                return Behaviors.same();
            }), "sink", Props.empty());
            agent.systemActorOf(WeightsFetcher.create(sink, Duration.ofSeconds(5)), "fetcher", Props.empty());
            ActorRef<WeightsPublisher.Command> publisher = learner.systemActorOf(
                    WeightsPublisher.create(128 * 1024), "publisher", Props.empty());
            List<Double> times = new ArrayList<>();
            for (int v = 1; v <= publishes + 1; v++) {
                long start = System.nanoTime();
                PolicyWeights w = new PolicyWeights(weights.modelId(), v, weights.bytes()); // bytes as serialized
                publisher.tell(new WeightsPublisher.Publish(w, null));
                PolicyWeights got;
                do {
                    got = received.poll(30, TimeUnit.SECONDS);
                    if (got == null) {
                        throw new IllegalStateException("weights version " + v + " did not arrive in 30 s");
                    }
                } while (got.version() < v);
                if (!Arrays.equals(got.bytes(), w.bytes())) {
                    throw new IllegalStateException("weights arrived corrupted");
                }
                if (v > 1) { // the first one also pays for connections and gossip start-up
                    times.add((System.nanoTime() - start) / 1e6);
                }
            }
            times.sort(Double::compare);
            return Math.round(times.get(times.size() / 2) * 100) / 100.0;
        } finally {
            agent.terminate();
            learner.terminate();
            CompletableFuture.allOf(agent.getWhenTerminated().toCompletableFuture(),
                    learner.getWhenTerminated().toCompletableFuture()).get(30, TimeUnit.SECONDS);
        }
    }

    private static Config node(int port, int seed) {
        return ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.loglevel = WARNING
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                pekko.cluster.distributed-data.notify-subscribers-interval = 20ms
                pekko.cluster.distributed-data.gossip-interval = 100ms
                """).withFallback(ConfigFactory.parseMap(Map.of("pekko.remote.artery.canonical.port", port)))
                .withFallback(ConfigFactory.load()).resolve();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
