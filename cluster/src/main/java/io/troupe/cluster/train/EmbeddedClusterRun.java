package io.troupe.cluster.train;

import ai.djl.Device;
import com.typesafe.config.Config;
import io.troupe.actors.Agent;
import io.troupe.cluster.admin.AdminServer;
import io.troupe.cluster.admin.AdminSettings;
import io.troupe.actors.AgentHost;
import io.troupe.actors.AgentSettings;
import io.troupe.core.EnvSpec;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.Learner;
import io.troupe.learners.LearnerSettings;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;

/**
 * Training through the distributed path on an embedded one-node cluster with every role: agents as a
 * ShardedDaemonProcess ({@code num-agents} instances, each stepping {@code envs-per-agent} copies with batched DJL
 * inference), replay shards fed through reliable delivery (a queue table for PPO: every unroll used once), and the
 * learner singleton publishing versions back. The run's reporter reads the agents' episodes and the learner's status
 * once per report interval.
 */
public final class EmbeddedClusterRun {
    private final TrainSettings settings;
    private final Config config;
    private final EnvRegistry registry;
    private final RunDirectory run;
    private final ProgressLine progress;
    private final AtomicBoolean stopRequested;

    public EmbeddedClusterRun(TrainSettings settings, Config config, EnvRegistry registry, RunDirectory run,
                              ProgressLine progress, AtomicBoolean stopRequested) {
        this.settings = settings;
        this.config = config;
        this.registry = registry;
        this.run = run;
        this.progress = progress;
        this.stopRequested = stopRequested;
    }

    public Map<String, Object> run() throws Exception {
        int agents = settings.numAgents();
        int k = settings.envsPerAgent();
        String algorithm = settings.algorithm();
        Config node = EmbeddedNode.config(nodeConfig(agents * k), config);
        EnvSpec spec;
        try (var probe = registry.make(settings.env(), settings.envOverrides())) {
            spec = probe.spec();
        }
        ModelConfig model = ModelConfig.fromConfig(node.getConfig("troupe.model"));
        LearnerSettings configured = LearnerSettings.fromConfig(node.getConfig("troupe.learner"));
        Path checkpoints = configured.checkpointDir().isAbsolute() ? configured.checkpointDir()
                : run.path().resolve(configured.checkpointDir());
        LearnerSettings learnerSettings = new LearnerSettings(configured.device(), algorithm.equals("impala")
                ? "impala" : "ppo", algorithm.equals("impala") ? configured.batchUnrolls() : agents * k,
                configured.publishEvery(), configured.checkpointEvery(), checkpoints, configured.chunkBytes(),
                configured.role(), configured.dropStaleRewards());
        Device device = io.troupe.learners.model.Devices.select(learnerSettings.device());
        AgentSettings agentSettings = AgentSettings.fromConfig(node);
        ActorSystem<Void> system = EmbeddedNode.start("troupe", node);
        AdminServer adminServer = null;
        try {
            var region = ReplaySharding.init(system, ReplaySettings.fromConfig(node.getConfig("troupe.replay")),
                    Optional.empty());
            ActorRef<Learner.Command> learner = Learner.initSingleton(system, new Learner.Spec(spec, model,
                    PpoConfig.fromConfig(node.getConfig("troupe.ppo")),
                    ImpalaConfig.fromConfig(node.getConfig("troupe.impala")), learnerSettings, settings.seed()));
            ActorRef<RunMetrics.Command> metrics = system.systemActorOf(RunMetrics.create(), "run-metrics",
                    Props.empty());
            ActorRef<Agent.Report> reports = system.systemActorOf(RunMetrics.adapter(metrics), "run-reports",
                    Props.empty());
            ShardedDaemonProcess.get(system).init(Agent.Command.class, "troupe-agents", agents,
                    i -> AgentHost.create(i, index -> new Agent.Spec("agent-" + index, index,
                            settings.seed() * 1000 + (long) index * k,
                            () -> registry.make(settings.env(), settings.envOverrides()),
                            () -> PolicyModel.create(spec, model, settings.seed(), device), agentSettings, region,
                            reports)),
                    ShardedDaemonProcessSettings.create(system).withRole("agent"), Optional.of(AgentHost.STOP));

            RunReporter reporter = new RunReporter(settings, run, progress, spec);
            AdminSettings admin = AdminSettings.fromConfig(node, System.getenv());
            if (admin.enabled()) {
                adminServer = AdminServer.start(system, admin, registry, reporter::latest);
                progress.log("admin API on " + adminServer.url());
            }
            long steps = 0;
            String stopReason = "step budget spent";
            Learner.Status status = null;
            Duration interval = settings.reportInterval();
            while (true) {
                RunMetrics.Drained drained = AskPattern.<RunMetrics.Command, RunMetrics.Drained>ask(metrics,
                        RunMetrics.Drain::new, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture()
                        .get(15, TimeUnit.SECONDS);
                for (Agent.EpisodeEnded e : drained.episodes()) {
                    reporter.episode(e.episodeReturn(), e.success(), e.rewardVersion(), e.rewardReturn());
                }
                for (Agent.RewardEvent e : drained.rewardEvents()) {
                    reporter.rewardFallback();
                    progress.log("reward: " + e.agentId() + " could not use reward v" + e.version() + " of "
                            + e.envId() + " (" + e.reason() + "); it uses v" + e.fallbackVersion());
                }
                steps = drained.envSteps();
                status = AskPattern.<Learner.Command, Learner.Status>ask(learner, Learner.GetStatus::new,
                        Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get(35, TimeUnit.SECONDS);
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("policy_lag_p50", status.lagP50());
                extra.put("policy_lag_max", status.lagMax());
                extra.put("losses/policy_loss", status.lastPolicyLoss());
                extra.put("losses/value_loss", status.lastValueLoss());
                extra.put("agents/aborted_episodes", drained.aborted());
                reporter.maybeReport(steps, status.updates(), status.policyVersion(), algorithm, extra, true);
                if (reporter.solved(steps)) {
                    stopReason = "target reached";
                    break;
                }
                if (steps >= settings.maxEnvSteps()) {
                    break;
                }
                if (reporter.outOfTime()) {
                    stopReason = "time budget spent";
                    break;
                }
                if (stopRequested.get()) {
                    stopReason = "interrupted";
                    break;
                }
                CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(interval.toMillis(),
                        TimeUnit.MILLISECONDS)).get(); // the report interval
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("mode", "cluster");
            extra.put("agents", agents);
            extra.put("envs_per_agent", k);
            extra.put("learner_updates", status == null ? 0 : status.updates());
            extra.put("policy_version", status == null ? 0 : status.policyVersion());
            extra.put("model", model.describe());
            extra.put("device", device.toString());
            return reporter.finish(stopReason, steps, extra);
        } finally {
            if (adminServer != null) {
                adminServer.close();
            }
            EmbeddedNode.stop(system); // the learner checkpoints as it stops
        }
    }

    /** On top of the embedded node: the agents' env count; for PPO a queue table so every unroll is used once. */
    private String nodeConfig(int totalEnvs) {
        StringBuilder hocon = new StringBuilder();
        hocon.append("troupe.agent.envs-per-agent = ").append(settings.envsPerAgent()).append('\n');
        if (!settings.algorithm().equals("impala")) {
            hocon.append("troupe.replay.table { sampler = fifo, remover = fifo, max-times-sampled = 1, max-size = ")
                    .append(Math.max(2, 2 * totalEnvs)).append(", rate-limiter.kind = queue }\n");
        }
        return hocon.toString();
    }
}
