package io.troupe.cluster.bench;

import ai.djl.Device;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.RewardRegistryClient;
import io.troupe.core.EnvSpec;
import io.troupe.core.reward.RewardExpression;
import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardInput;
import io.troupe.core.reward.RewardVariables;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.reward.CartPoleUprightReward;
import io.troupe.environments.reward.FeatureSource;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * {@code troupe bench reward}: the cost of a reward expression per step against the same reward as a Java class
 * ({@code expr_ns_per_step}, {@code java_ns_per_step}); the acting pipeline's throughput under the expression over its
 * throughput under the env's own reward, in alternating windows of one pipeline ({@code acting_ratio_expr_vs_builtin});
 * and on a three-node loopback cluster with agents on two nodes, the time from a swap written on the first node to
 * every agent having the new version ({@code swap_propagation_ms_p50}, {@code _p99}).
 */
public final class RewardBench {
    /** CartPole-v1's upright template: the expression measured. */
    public static final String EXPR = "1 - abs(theta) / 0.21";

    private RewardBench() {
    }

    /** The figures of {@code bench reward} ({@code --json} writes them under these names in snake_case). */
    public record Result(String expr, double exprNsPerStep, double javaNsPerStep, String model,
                         @JsonProperty("acting_steps_per_s_builtin") long actingStepsPerSBuiltin,
                         @JsonProperty("acting_steps_per_s_expr") long actingStepsPerSExpr,
                         double actingRatioExprVsBuiltin,
                         int swaps, double swapPropagationMsP50, double swapPropagationMsP99,
                         double swapPropagationMsMax) {
    }

    public static Result run(ModelConfig model, int agents, int envsPerAgent, double seconds, int swaps,
                             Path workDir) throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        EnvSpec spec = registry.spec("CartPole-v1");
        RewardVariables variables = FeatureSource.of(registry.make("CartPole-v1")).variables();
        double exprNs = round(nsPerCall(RewardExpression.compile(EXPR, variables), variables), 1);
        double javaNs = round(nsPerCall(new CartPoleUprightReward(), variables), 1);
        double[] acting = alternating(registry, spec, model, agents, envsPerAgent, seconds, workDir);
        double builtin = acting[0];
        double expr = acting[1];
        double[] propagation = propagation(registry, spec, swaps);
        return new Result(EXPR, exprNs, javaNs, model.describe(), Math.round(builtin), Math.round(expr),
                round(expr / builtin, 3), swaps, round(propagation[propagation.length / 2], 1),
                round(propagation[(int) Math.min(propagation.length - 1, Math.ceil(0.99 * propagation.length) - 1)],
                        1), round(propagation[propagation.length - 1], 1));
    }

    /**
     * {builtin, expr} env steps per second of one acting pipeline whose agents switch rewards at the next step: the
     * env's own reward and the expression take turns in windows of {@code seconds / 3} (six windows each), so both
     * see the same JIT state and machine load; the sums of each are compared.
     */
    static double[] alternating(EnvRegistry registry, EnvSpec spec, ModelConfig model, int agents, int k,
                                double seconds, Path workDir) throws Exception {
        try (ActingBench.Pipeline p = ActingBench.Pipeline.start(registry, spec, model, agents, k,
                AgentSettings.ACTING_SLICE, false, workDir,
                RewardShaper.SwitchAt.STEP)) {
            RewardRegistryClient client = new RewardRegistryClient(p.system, registry, new AdminSettings(-1,
                    "127.0.0.1", Optional.empty(), 200, Duration.ofSeconds(5)));
            long exprVersion = client.submit(spec.id(), "expr", EXPR, "bench", "").toCompletableFuture()
                    .get(30, TimeUnit.SECONDS).history().active();
            p.measure(3); // warm-up
            double[] sums = new double[2];
            for (int w = 0; w < 12; w++) {
                boolean withExpr = w % 2 != (w / 2) % 2; // B E E B B E E B ...: neither always goes first
                long version = withExpr ? exprVersion : 0;
                client.rollback(spec.id(), Optional.of(version)).toCompletableFuture().get(30, TimeUnit.SECONDS);
                for (ActorRef<Agent.Command> a : p.agents) {
                    while (stats(p.system, a).rewardVersion() != version) {
                        Thread.onSpinWait();
                    }
                }
                sums[withExpr ? 1 : 0] += p.measure(seconds / 3);
            }
            return new double[] {sums[0] / 6, sums[1] / 6};
        }
    }

    /** Nanoseconds per call over random CartPole-like inputs, after a warm-up. */
    static double nsPerCall(RewardFunction f, RewardVariables variables) {
        int n = 1024;
        RewardInput[] inputs = new RewardInput[n];
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            inputs[i] = new RewardInput(variables);
            inputs[i].set(1, rng.nextInt(2), 1 + rng.nextInt(500), false, false, false);
            for (int s = variables.featureOffset(); s < variables.size(); s++) {
                inputs[i].slots()[s] = rng.nextDouble(-0.2, 0.2);
            }
        }
        double sink = 0;
        for (int i = 0; i < 20_000_000; i++) { // warm-up: compiled by the JIT
            sink += f.reward(inputs[i & (n - 1)]);
        }
        long calls = 50_000_000;
        long start = System.nanoTime();
        for (long i = 0; i < calls; i++) {
            sink += f.reward(inputs[(int) (i & (n - 1))]);
        }
        double ns = (System.nanoTime() - start) / (double) calls;
        if (sink == 42.4242) {
            System.out.print(""); // keeps sink alive
        }
        return ns;
    }

    /** Milliseconds from each swap's write (on node 0) to every agent (2 on each of nodes 1 and 2) having it, sorted. */
    static double[] propagation(EnvRegistry registry, EnvSpec spec, int swaps) throws Exception {
        List<String> roles = List.of("replay", "agent");
        try (LoopbackCluster cluster = LoopbackCluster.start("troupe-bench-reward", List.of(List.of("replay"), roles,
                roles), ConfigFactory.empty()
                .withValue("troupe.replay.table.sampler", ConfigValueFactory.fromAnyRef("uniform"))
                .withValue("troupe.replay.table.max-size", ConfigValueFactory.fromAnyRef(2000))
                .withValue("troupe.replay.table.rate-limiter.kind", ConfigValueFactory.fromAnyRef("min-size")))) {
            List<ActorRef<Agent.Command>> agents = new ArrayList<>();
            for (int n = 0; n < cluster.size(); n++) {
                ActorSystem<Void> node = cluster.node(n);
                var region = ReplaySharding.init(node, ReplaySettings.fromConfig(node.settings().config()
                        .getConfig("troupe.replay")), Optional.empty());
                if (n == 0) {
                    continue;
                }
                AgentSettings settings = new AgentSettings(4, 32, node.settings().config().getInt("troupe.replay.shards"),
                        node.settings().config().getInt("troupe.replay.max-message-bytes"), 2,
                        RewardShaper.SwitchAt.EPISODE);
                for (int i = 0; i < 2; i++) {
                    agents.add(node.systemActorOf(Agent.supervised(new Agent.Spec("prop-agent-" + n + "-" + i,
                            n * 2 + i, n * 10L + i, () -> registry.make(spec.id()),
                            () -> PolicyModel.create(spec, ModelConfig.mlp(16), 1, Device.cpu()), settings, region,
                            null)), "agent-" + i, Agent.dispatcher()));
                }
            }
            ActorSystem<Void> writer = cluster.node(0);
            RewardRegistryClient client = new RewardRegistryClient(writer, registry, new AdminSettings(-1,
                    "127.0.0.1", Optional.empty(), 200, Duration.ofSeconds(5)));
            double[] ms = new double[swaps];
            for (int s = 0; s < swaps; s++) {
                String expr = s % 2 == 0 ? EXPR : "reward";
                long start = System.nanoTime();
                long version = client.submit(spec.id(), "expr", expr, "bench", "").toCompletableFuture()
                        .get(30, TimeUnit.SECONDS).history().active();
                for (ActorRef<Agent.Command> a : agents) {
                    while (stats(writer, a).rewardVersion() != version) {
                        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(30)) {
                            throw new IllegalStateException("reward v" + version + " did not reach " + a + " in 30 s");
                        }
                        Thread.onSpinWait();
                    }
                }
                ms[s] = (System.nanoTime() - start) / 1e6;
            }
            Arrays.sort(ms);
            return ms;
        }
    }

    private static Agent.Stats stats(ActorSystem<?> system, ActorRef<Agent.Command> agent) throws Exception {
        return AskPattern.<Agent.Command, Agent.Stats>ask(agent, Agent.GetStats::new, Duration.ofSeconds(10),
                system.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
