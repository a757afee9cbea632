package io.troupe.cluster.bench;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.LearnerAlgorithm;
import io.troupe.learners.LearnerSettings;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.bench.UpdateThroughput;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.transport.weights.NodeWeights;
import io.troupe.transport.weights.WeightsPublisher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
 * (median of several publications), with the settings a job's nodes use ({@code troupe.transport.weights}, {@code
 * troupe.learner.weights-chunk-bytes}).
 */
public final class LearnerBench {
    /** The weights chunk size of a job's learner ({@code troupe.learner.weights-chunk-bytes}, read and checked). */
    static int chunkBytes(Config config) {
        return LearnerSettings.fromConfig(config.getConfig("troupe.learner"), LearnerAlgorithm.PPO, 1).chunkBytes();
    }

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

    /** The model of the pipeline line: GoToObject's transformer with four blocks, to split into stages. */
    public static final Case PIPELINE_CASE = new Case("GoToObject-v0 transformer 4 blocks", "GoToObject-v0",
            ModelConfig.transformer(32, 4, 4, 64, 6, 1));

    /**
     * The pipeline line of {@code bench learner}: {@link #PIPELINE_CASE} split into {@code stages} stages trained with
     * {@code microBatches} micro-batches against the same model unsplit, updates/s of both in one run.
     */
    public static UpdateThroughput.PipelineComparison pipeline(List<Device> devices, int stages, int microBatches,
                                                               double seconds) {
        EnvSpec spec = EnvRegistry.defaults().spec(PIPELINE_CASE.envId());
        return UpdateThroughput.comparePipeline(spec, PIPELINE_CASE.model(), new Parallelism(stages, microBatches),
                devices, PpoConfig.cleanRl(), seconds);
    }

    /** One model's figures ({@code --json} writes them under these names in snake_case). */
    public record Figures(double updatesPerS, long samplesPerS, long parameters, int weightsBytes, double publishMs,
                          String device) {
    }

    /** Figures per case name, in the order of {@code cases}. */
    public static Map<String, Figures> run(List<Case> cases, List<Device> devices, double seconds, int publishes)
            throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        Map<String, Figures> out = new LinkedHashMap<>();
        PpoConfig ppo = PpoConfig.cleanRl();
        for (Case c : cases) {
            EnvSpec spec = registry.spec(c.envId());
            UpdateThroughput.Result r = UpdateThroughput.measure(spec, c.model(), devices, ppo, seconds);
            try (PolicyModel model = PolicyModel.create(spec, c.model(), 1, Device.cpu())) {
                PolicyWeights w = model.weights(0);
                out.put(c.name(), new Figures(r.updatesPerS(), r.samplesPerS(), r.parameters(), w.bytes().length,
                        publishMs(w, publishes), devices.stream().map(Device::toString)
                        .collect(Collectors.joining(","))));
            }
        }
        return out;
    }

    /** Median milliseconds from publishing a version on one node to a fetcher on another holding all its bytes. */
    static double publishMs(PolicyWeights weights, int publishes) throws Exception {
        // both bind port 0 (Artery takes a free port itself); the agent joins the learner at the address it reports
        ActorSystem<Void> learner = ActorSystem.create(Behaviors.empty(), "bench-publish", node());
        ActorSystem<Void> agent = ActorSystem.create(Behaviors.empty(), "bench-publish", node());
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
            // as on a node: the node's one fetcher (troupe.transport.weights), the learner's chunk size
            NodeWeights.get(agent).subscribe(sink);
            ActorRef<WeightsPublisher.Command> publisher = learner.systemActorOf(WeightsPublisher.create(
                    chunkBytes(learner.settings().config())), "publisher", Props.empty());
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

    private static Config node() {
        return ConfigFactory.empty()
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
                .withValue("pekko.loglevel", ConfigValueFactory.fromAnyRef("WARNING"))
                .withValue("pekko.cluster.jmx.multi-mbeans-in-same-jvm", ConfigValueFactory.fromAnyRef(true))
                .withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", ConfigValueFactory.fromAnyRef(false))
                .withValue("pekko.cluster.distributed-data.notify-subscribers-interval",
                        ConfigValueFactory.fromAnyRef("20ms"))
                .withValue("pekko.cluster.distributed-data.gossip-interval", ConfigValueFactory.fromAnyRef("100ms"))
                .withFallback(ConfigFactory.load()).resolve();
    }
}
