package io.troupe.cluster.bench;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentHost;
import io.troupe.actors.AgentSettings;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import io.troupe.transport.weights.NodeWeights;
import io.troupe.transport.weights.WeightsPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * {@code troupe bench cluster}: three nodes in one JVM on loopback (A: replay; B and C: replay + agent). Agents run as
 * the job runs them (a ShardedDaemonProcess); C joins after the agents started on B, and {@code rebalance_s} is the
 * time until agents act on C; {@code acting_steps_per_s} is then the env steps per second of all agents summed;
 * {@code weights_publish_ms_p50/p99} times a 10 MB weights version from A until fetchers on B and C both hold it.
 * Node settings as in conf/cluster-node.conf (5 s rebalance rounds).
 */
public final class ClusterBench {
    private ClusterBench() {
    }

    /** The figures of {@code bench cluster} ({@code --json} writes them under these names in snake_case). */
    public record Result(int nodes, String model, int agents, int envsPerAgent, double rebalanceS,
                         long actingStepsPerS, int weightsBytes, double weightsPublishMsP50,
                         double weightsPublishMsP99) {
    }

    public static Result run(ModelConfig model, int agents, int envsPerAgent, double seconds, int publishes,
                             int weightsBytes) throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        EnvSpec spec = registry.spec("CartPole-v1");
        String allocation = "pekko.cluster.sharding.least-shard-allocation-strategy.";
        Config nodes = ConfigFactory.empty()
                .withValue("troupe.replay.table.sampler", ConfigValueFactory.fromAnyRef("uniform"))
                .withValue("troupe.replay.table.max-size", ConfigValueFactory.fromAnyRef(20_000))
                .withValue("troupe.replay.table.rate-limiter.kind", ConfigValueFactory.fromAnyRef("min-size"))
                .withValue("pekko.cluster.sharding.rebalance-interval", ConfigValueFactory.fromAnyRef("5s"))
                .withValue(allocation + "rebalance-absolute-limit", ConfigValueFactory.fromAnyRef(20))
                .withValue(allocation + "rebalance-relative-limit", ConfigValueFactory.fromAnyRef(0.5))
                .withValue("troupe.agent.envs-per-agent", ConfigValueFactory.fromAnyRef(envsPerAgent));
        try (LoopbackCluster cluster = LoopbackCluster.start("troupe-bench-cluster", List.of(List.of("replay"),
                List.of("replay", "agent")), nodes)) {
            startJob(cluster.node(0), registry, spec, model, agents);
            startJob(cluster.node(1), registry, spec, model, agents);
            ActorSystem<Void> a = cluster.node(0);
            awaitAgents(a, agents, 1);
            long joinStart = System.nanoTime();
            ActorSystem<Void> c = cluster.add(List.of("replay", "agent"));
            startJob(c, registry, spec, model, agents);
            String cAddress = Cluster.get(c).selfMember().address().toString();
            while (agentNodes(a).stream().noneMatch(cAddress::equals)) {
                if (System.nanoTime() - joinStart > TimeUnit.SECONDS.toNanos(120)) {
                    throw new IllegalStateException("no agent moved to the node that joined in 120 s");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            double rebalanceS = Math.round((System.nanoTime() - joinStart) / 1e8) / 10.0;
            awaitAgents(a, agents, 2);
            CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(3, TimeUnit.SECONDS)).get();
            long before = totalSteps(a); // after 3 s for the moved agents to start and warm up
            long start = System.nanoTime();
            CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor((long) (seconds * 1000),
                    TimeUnit.MILLISECONDS)).get();
            long acting = Math.round((totalSteps(a) - before) / ((System.nanoTime() - start) / 1e9));
            // the bench's weights are random bytes: pause the agents so they do not try to load them
            for (ActorRef<Agent.Command> agent : agentRefs(a)) {
                agent.tell(new Agent.SetPaused(true));
            }
            double[] ms = publish(a, List.of(cluster.node(1), c), publishes, weightsBytes);
            return new Result(3, model.describe(), agents, envsPerAgent, rebalanceS, acting, weightsBytes,
                    Math.round(ms[ms.length / 2] * 10) / 10.0,
                    Math.round(ms[(int) Math.min(ms.length - 1, Math.ceil(0.99 * ms.length) - 1)] * 10) / 10.0);
        }
    }

    private static void startJob(ActorSystem<Void> node, EnvRegistry registry, EnvSpec spec, ModelConfig model,
                                 int agents) {
        var config = node.settings().config();
        var region = ReplaySharding.init(node, ReplaySettings.fromConfig(config.getConfig("troupe.replay")),
                Optional.empty());
        AgentSettings settings = AgentSettings.fromConfig(config);
        ShardedDaemonProcess.get(node).init(Agent.Command.class, "troupe-agents", agents,
                i -> AgentHost.create(i, index -> new Agent.Spec("agent-" + index, index, index,
                        () -> registry.make(spec.id()), () -> PolicyModel.create(spec, model, 1, Device.cpu()),
                        settings, region, null)),
                ShardedDaemonProcessSettings.create(node).withRole("agent"), Optional.of(AgentHost.STOP));
    }

    private static List<ActorRef<Agent.Command>> agentRefs(ActorSystem<?> system) throws Exception {
        return new ArrayList<>(AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                replyTo -> Receptionist.find(Agent.SERVICE_KEY, replyTo), Duration.ofSeconds(3), system.scheduler())
                .toCompletableFuture().get(5, TimeUnit.SECONDS).getServiceInstances(Agent.SERVICE_KEY));
    }

    private static List<String> agentNodes(ActorSystem<?> system) throws Exception {
        List<String> out = new ArrayList<>();
        for (ActorRef<Agent.Command> r : agentRefs(system)) {
            out.add(r.path().address().toString());
        }
        return out;
    }

    /** Waits until {@code agents} agents are registered on {@code nodes} distinct nodes. */
    private static void awaitAgents(ActorSystem<?> system, int agents, int nodes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            List<String> where = agentNodes(system);
            if (where.size() >= agents && where.stream().distinct().count() >= nodes) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("agents on " + where + " after 120 s; wanted " + agents + " on "
                        + nodes + " nodes");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static long totalSteps(ActorSystem<?> system) throws Exception {
        long sum = 0;
        for (ActorRef<Agent.Command> a : agentRefs(system)) {
            sum += AskPattern.<Agent.Command, Agent.Stats>ask(a, Agent.GetStats::new, Duration.ofSeconds(10),
                    system.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS).steps();
        }
        return sum;
    }

    /** Milliseconds from publishing each version on {@code from} until every node of {@code to} holds it, sorted. */
    private static double[] publish(ActorSystem<?> from, List<ActorSystem<Void>> to, int publishes, int bytes)
            throws Exception {
        List<LinkedBlockingQueue<PolicyWeights>> received = new ArrayList<>();
        for (ActorSystem<Void> node : to) {
            LinkedBlockingQueue<PolicyWeights> q = new LinkedBlockingQueue<>();
            received.add(q);
            ActorRef<PolicyWeights> sink = node.systemActorOf(Behaviors.receiveMessage(w -> {
                q.add(w);
                return Behaviors.same();
            }), "bench-weights-sink", Props.empty());
            NodeWeights.get(node).subscribe(sink); // what the node's agents get, through the node's one fetcher
        }
        ActorRef<WeightsPublisher.Command> publisher = from.systemActorOf(WeightsPublisher.create(
                LearnerBench.chunkBytes(from.settings().config())),
                "bench-weights-publisher", Props.empty());
        byte[] payload = new byte[bytes];
        new SplittableRandom(1).nextBytes(payload);
        double[] ms = new double[publishes];
        for (int v = 1; v <= publishes + 1; v++) {
            long start = System.nanoTime();
            publisher.tell(new WeightsPublisher.Publish(new PolicyWeights("bench-10mb", 1000 + v, payload), null));
            for (LinkedBlockingQueue<PolicyWeights> q : received) {
                PolicyWeights got;
                do {
                    got = q.poll(60, TimeUnit.SECONDS);
                    if (got == null) {
                        throw new IllegalStateException("weights version " + (1000 + v) + " did not arrive in 60 s");
                    }
                } while (got.version() < 1000 + v);
                if (!Arrays.equals(got.bytes(), payload)) {
                    throw new IllegalStateException("weights arrived corrupted");
                }
            }
            if (v > 1) { // the first also pays for connections and the fetchers' start
                ms[v - 2] = (System.nanoTime() - start) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms;
    }
}
