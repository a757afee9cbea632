package io.troupe.cluster.bench;

import ai.djl.Device;
import com.sun.management.OperatingSystemMXBean;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.learners.Learner;
import io.troupe.learners.LearnerAlgorithm;
import io.troupe.learners.LearnerSettings;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * {@code troupe bench acting}: env steps per second through the acting pipeline (agents, batched DJL inference,
 * unrolls streamed into replay by reliable delivery) with no learner ({@code acting_steps_per_s}); in the same run the
 * bare batched-inference ceiling of the same model at the same batch size, with as many threads as agents
 * ({@code inference_ceiling_obs_per_s}) and their ratio; the ceiling of one node-wide batched inference over every
 * agent's observations on one thread ({@code node_batched_inference_obs_per_s}, what a SEED-style inference service
 * could serve at most) against the per-agent ceiling ({@code per_agent_vs_node_batched}); and the steps per second with
 * a PPO learner training on the stream while agents act freely ({@code train_steps_per_s}). The ceiling and the
 * pipeline are measured in alternating windows of one run (the agents paused while the ceiling runs), each path warmed
 * up first (at least as long as it is measured, then until the JIT is quiet), so their ratio compares the same machine
 * state. {@code acting_vs_ceiling_cpu} is the same ratio per second of the process's CPU time (all threads, GC and
 * JIT included): what the ratio would be on cores of its own, where both paths are CPU-bound; on a machine shared
 * with other jobs the wall-clock ratio also measures how the kernel shares the cores between the bench's threads and
 * everyone else's.
 */
public final class ActingBench {
    private ActingBench() {
    }

    /** The figures of {@code bench acting} ({@code --json} writes them under these names in snake_case). */
    public record Result(String env, String model, int agents, int envsPerAgent, long inferenceCeilingObsPerS,
                         long actingStepsPerS, double actingVsCeiling, double actingVsCeilingCpu,
                         List<Double> actingVsCeilingRounds, double pipelineWarmUpS, double ceilingWarmUpS,
                         long nodeBatchedInferenceObsPerS, double perAgentVsNodeBatched, long trainStepsPerS) {
    }

    /** @param actingSlice the agents' {@code troupe.agent.acting-slice} */
    public static Result run(String envId, ModelConfig model, int agents, int envsPerAgent, Duration actingSlice,
                             double seconds, double maxWarmUp, Path workDir) throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        EnvSpec spec = registry.spec(envId);
        // the ceiling and the pipeline alternate in ROUNDS windows (the agents paused while the ceiling runs), so a
        // change in the machine's load during the run weighs on both figures alike
        double ceilingSum = 0;
        double actingSum = 0;
        double ceilingPerCpuS = 0;
        double actingPerCpuS = 0;
        List<Double> rounds = new ArrayList<>(); // each window pair's ratio: how much of the spread is the machine's
        double pipelineWarmUp;
        double ceilingWarmUp;
        try (Ceiling ceiling = new Ceiling(registry, spec, model, envsPerAgent, agents);
             Pipeline p = Pipeline.start(registry, spec, model, agents, envsPerAgent, actingSlice, false, workDir,
                     RewardShaper.SwitchAt.EPISODE)) {
            // JIT and replay warm-up, both paths alike: at least as long as their measurement, then until the JIT is
            // quiet (the pipeline's code is far larger than the ceiling's loop and kept compiling for half a minute)
            double warmUp = Math.max(WARM_UP_S, seconds);
            pipelineWarmUp = JitWarmUp.run(p::measure, warmUp, maxWarmUp);
            p.setPaused(true);
            ceilingWarmUp = JitWarmUp.run(ceiling::measure, warmUp, maxWarmUp);
            for (int r = 0; r < ROUNDS; r++) {
                p.setPaused(true);
                long cpu = processCpuNanos();
                long wall = System.nanoTime();
                double obsPerS = ceiling.measure(seconds / ROUNDS);
                ceilingSum += obsPerS;
                ceilingPerCpuS += obsPerS * (System.nanoTime() - wall) / (double) (processCpuNanos() - cpu);
                p.setPaused(false);
                cpu = processCpuNanos();
                wall = System.nanoTime();
                double stepsPerS = p.measure(seconds / ROUNDS);
                actingSum += stepsPerS;
                rounds.add(round3(stepsPerS / obsPerS));
                actingPerCpuS += stepsPerS * (System.nanoTime() - wall) / (double) (processCpuNanos() - cpu);
            }
        }
        long ceiling = Math.round(ceilingSum / ROUNDS);
        long acting = Math.round(actingSum / ROUNDS);
        // the placement question: one node-wide inference service batching every agent's observations (SEED-style)
        // runs one call of agents x K rows on one thread; per-agent batching runs agents calls of K rows in parallel
        long nodeBatched = Math.round(ceiling(registry, spec, model, agents * envsPerAgent, 1, seconds));
        long training = Math.round(pipeline(registry, spec, model, agents, envsPerAgent, actingSlice, seconds, true,
                workDir));
        return new Result(envId, model.describe(), agents, envsPerAgent, ceiling, acting,
                round3((double) acting / ceiling), round3(actingPerCpuS / ceilingPerCpuS), List.copyOf(rounds),
                pipelineWarmUp, ceilingWarmUp, nodeBatched, round3((double) ceiling / nodeBatched), training);
    }

    private static double round3(double ratio) {
        return Math.round(ratio * 1000) / 1000.0;
    }

    /** CPU time of the whole process (every thread: agents, Pekko, replay, GC, JIT), in nanoseconds. */
    static long processCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Alternating windows of the ceiling and the pipeline ({@code --seconds} is split over them). */
    static final int ROUNDS = 4;
    /** The least seconds each path runs before anything is measured. */
    static final double WARM_UP_S = 2;

    /**
     * Observations per second of the model's batched inference alone, batch = envs per agent, on as many threads as
     * there are agents (each with its own model copy, as agents have): the ceiling the acting pipeline is held to.
     */
    static double ceiling(EnvRegistry registry, EnvSpec spec, ModelConfig model, int batch, int threads,
                          double seconds) throws Exception {
        try (Ceiling c = new Ceiling(registry, spec, model, batch, threads)) {
            c.measure(WARM_UP_S);
            return c.measure(seconds);
        }
    }

    /** Threads of bare batched inference, each with its own model and env observations, kept for several windows. */
    static final class Ceiling implements AutoCloseable {
        private final List<ExecutorService> threads = new ArrayList<>();
        private final List<PolicyModel> models = new ArrayList<>();
        private final List<VectorEnv> envs = new ArrayList<>();

        Ceiling(EnvRegistry registry, EnvSpec spec, ModelConfig model, int batch, int threads) {
            for (int t = 0; t < threads; t++) {
                this.threads.add(Executors.newSingleThreadExecutor());
                models.add(PolicyModel.create(spec, model, 1, Device.cpu()));
                VectorEnv v = VectorEnv.of(() -> registry.make(spec.id()), batch);
                v.reset(1);
                envs.add(v);
            }
        }

        /** Observations per second over all threads in the next {@code seconds}. */
        double measure(double seconds) throws Exception {
            List<Future<Double>> runs = new ArrayList<>();
            for (int t = 0; t < threads.size(); t++) {
                PolicyModel m = models.get(t);
                ObservationBatch obs = envs.get(t).observations();
                runs.add(threads.get(t).submit(() -> {
                    long start = System.nanoTime();
                    long calls = 0;
                    while (System.nanoTime() - start < seconds * 1e9) {
                        m.evaluate(obs);
                        calls++;
                    }
                    return calls * obs.rows() / ((System.nanoTime() - start) / 1e9);
                }));
            }
            double total = 0;
            for (Future<Double> r : runs) {
                total += r.get();
            }
            return total;
        }

        @Override
        public void close() {
            threads.forEach(ExecutorService::shutdownNow); // models are used on their thread: close after it stops
            for (ExecutorService e : threads) {
                try {
                    e.awaitTermination(10, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            models.forEach(PolicyModel::close);
            envs.forEach(VectorEnv::close);
        }
    }

    /** Env steps per second of {@code agents} agents of {@code k} envs, after a 2 s warm-up. */
    static double pipeline(EnvRegistry registry, EnvSpec spec, ModelConfig model, int agents, int k,
                           Duration actingSlice, double seconds, boolean learn, Path workDir) throws Exception {
        try (Pipeline p = Pipeline.start(registry, spec, model, agents, k, actingSlice, learn, workDir,
                RewardShaper.SwitchAt.EPISODE)) {
            p.measure(2);
            return p.measure(seconds);
        }
    }

    /** Agents (and optionally a learner) streaming into replay on an embedded node, until closed. */
    static final class Pipeline implements AutoCloseable {
        final ActorSystem<Void> system;
        final List<ActorRef<Agent.Command>> agents;

        private Pipeline(ActorSystem<Void> system, List<ActorRef<Agent.Command>> agents) {
            this.system = system;
            this.agents = agents;
        }

        static Pipeline start(EnvRegistry registry, EnvSpec spec, ModelConfig model, int agents, int k,
                              Duration actingSlice, boolean learn, Path workDir, RewardShaper.SwitchAt switchAt)
                throws Exception {
            Config node = EmbeddedNode.config("troupe.agent.unroll-length = 32\n" + (learn
                    ? "troupe.replay.table { sampler = fifo, max-times-sampled = 1, max-size = 64, rate-limiter.kind = queue }"
                    : "troupe.replay.table { sampler = uniform, max-size = 20000, rate-limiter.kind = min-size }"),
                    ConfigFactory.load());
            ActorSystem<Void> system = EmbeddedNode.start("troupe-bench-acting", node);
            try {
                var region = ReplaySharding.init(system, ReplaySettings.fromConfig(node.getConfig("troupe.replay")),
                        Optional.empty());
                AgentSettings agentSettings = new AgentSettings(k, 32, node.getInt("troupe.replay.shards"),
                        node.getInt("troupe.replay.max-message-bytes"), 2, switchAt).withActingSlice(actingSlice);
                if (learn) {
                    LearnerSettings ls = new LearnerSettings("cpu", LearnerAlgorithm.PPO, agents * k, 1, 1_000_000,
                            workDir.resolve("acting-bench-checkpoints"), 128 * 1024, "learner", false);
                    Learner.initSingleton(system, new Learner.Spec(spec, model, PpoConfig.cleanRl(),
                            ImpalaConfig.defaults(), ls, 1));
                }
                List<ActorRef<Agent.Command>> refs = new ArrayList<>();
                for (int i = 0; i < agents; i++) {
                    refs.add(system.systemActorOf(Agent.supervised(new Agent.Spec("bench-agent-" + i, i, 10L + i,
                            () -> registry.make(spec.id()), () -> PolicyModel.create(spec, model, 1, Device.cpu()),
                            agentSettings, region, null)), "agent-" + i, Agent.dispatcher()));
                }
                return new Pipeline(system, refs);
            } catch (Exception | Error e) {
                EmbeddedNode.stop(system);
                throw e;
            }
        }

        /** Pauses or resumes every agent; returns once each has taken the message. */
        void setPaused(boolean paused) throws Exception {
            agents.forEach(a -> a.tell(new Agent.SetPaused(paused)));
            totalSteps(system, agents); // a reply means the agent handled the pause before it (same sender, in order)
        }

        /** Env steps per second all agents took over the next {@code seconds}. */
        double measure(double seconds) throws Exception {
            long before = totalSteps(system, agents);
            long start = System.nanoTime();
            CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor((long) (seconds * 1000),
                    TimeUnit.MILLISECONDS)).get();
            long after = totalSteps(system, agents);
            return (after - before) / ((System.nanoTime() - start) / 1e9);
        }

        /**
         * Pauses the agents, then stops the node: agents still sending while the replay shards hand off made the
         * region buffer and drop their batches, and the stop wait out its stage timeout.
         */
        @Override
        public void close() throws Exception {
            try {
                setPaused(true);
            } finally {
                EmbeddedNode.stop(system);
            }
        }
    }

    static long totalSteps(ActorSystem<?> system, List<ActorRef<Agent.Command>> agents) throws Exception {
        long sum = 0;
        for (ActorRef<Agent.Command> a : agents) {
            sum += AskPattern.<Agent.Command, Agent.Stats>ask(a, Agent.GetStats::new, Duration.ofSeconds(10),
                    system.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS).steps();
        }
        return sum;
    }
}
