package io.troupe.cluster.node;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentHost;
import io.troupe.actors.AgentSettings;
import io.troupe.actors.UnrollBudget;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.RunMetrics;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.EnvSpec;
import io.troupe.environments.Curriculum;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.Learner;
import io.troupe.learners.LearnerAlgorithm;
import io.troupe.learners.LearnerSettings;
import io.troupe.learners.distill.DistillConfig;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import io.troupe.transport.wire.WireSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The distributed job's parts, started the same way on every node (each part runs where its role is and is a proxy
 * elsewhere): replay shards (role {@code replay}), the learner singleton and the run-metrics singleton (role
 * {@code learner}), and {@code num-agents} agents as a ShardedDaemonProcess (role {@code agent}) that report their
 * episodes to the run-metrics singleton.
 */
public final class ClusterJob {
    /** What the node's driver and admin API talk to. */
    public record Handles(EnvSpec spec, ModelConfig model, Device device, ActorRef<Learner.Command> learner,
                          ActorRef<RunMetrics.Command> metrics) {
    }

    private ClusterJob() {
    }

    /** The name of the agents' ShardedDaemonProcess (its region and keep-alive are named after it). */
    public static final String AGENTS = "troupe-agents";

    /**
     * On top of the job config: the agents' env count; for PPO a queue table so every unroll is used once. The
     * embedded node and every {@code troupe node} use it, so all nodes of a job agree.
     */
    public static Config nodeConfig(TrainSettings settings) {
        Config config = ConfigFactory.empty()
                .withValue("troupe.agent.envs-per-agent", ConfigValueFactory.fromAnyRef(settings.envsPerAgent()));
        if (queueTable(settings.algorithm())) {
            config = config
                    .withValue("troupe.replay.table.sampler", ConfigValueFactory.fromAnyRef("fifo"))
                    .withValue("troupe.replay.table.remover", ConfigValueFactory.fromAnyRef("fifo"))
                    .withValue("troupe.replay.table.max-times-sampled", ConfigValueFactory.fromAnyRef(1))
                    .withValue("troupe.replay.table.max-size",
                            ConfigValueFactory.fromAnyRef(Math.max(2, settings.totalEnvs())))
                    .withValue("troupe.replay.table.rate-limiter.kind", ConfigValueFactory.fromAnyRef("queue"));
        }
        return config;
    }

    /**
     * The keys the job config sets itself (a job file or an override, not a module's defaults) that
     * {@link #nodeConfig} replaces with another value, each said as one line naming the key, where it was set, its
     * value and what the job uses instead; empty when nothing is replaced. A PPO job's table settings are the usual
     * case: its replay is a queue of one unroll per env copy, whatever the file says.
     */
    public static List<String> replacedSettings(Config job, TrainSettings settings) {
        Map<String, ConfigValue> forcedValues = new TreeMap<>();
        nodeConfig(settings).entrySet().forEach(e -> forcedValues.put(e.getKey(), e.getValue()));
        List<String> replaced = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> forced : forcedValues.entrySet()) {
            String key = forced.getKey();
            if (!job.hasPath(key)) {
                continue;
            }
            ConfigValue set = job.getValue(key);
            if ("reference.conf".equals(set.origin().resource())
                    || set.unwrapped().toString().equals(forced.getValue().unwrapped().toString())) {
                continue;
            }
            String why = key.equals("troupe.agent.envs-per-agent") ? "troupe.train.envs-per-agent decides it"
                    : "a " + settings.algorithm().id() + " job's replay is a queue of one unroll per env copy, each "
                    + "used once";
            replaced.add(key + " = " + set.render(ConfigRenderOptions.concise()) + " (" + set.origin().description()
                    + ") is replaced by " + forced.getValue().render(ConfigRenderOptions.concise()) + ": " + why);
        }
        return replaced;
    }

    /**
     * Whether the job's replay is a queue table (every unroll used once): on-policy PPO; IMPALA samples a replay
     * table. The random baseline has no cluster path (it runs in {@code train}'s own loop).
     */
    private static boolean queueTable(Algorithm algorithm) {
        return switch (learnerAlgorithm(algorithm)) {
            case PPO, DISTILL -> true; // distillation learns from the student's own, current behaviour
            case IMPALA -> false;
        };
    }

    /**
     * Unrolls per learner update: one per env copy for the on-policy learners (PPO trains on each copy's newest
     * unroll, distillation on the student's current behaviour), {@code troupe.impala.batch-unrolls} for IMPALA, whose
     * agents act freely into a table the learner samples.
     */
    static int batchUnrolls(Algorithm algorithm, int envCopies, ImpalaConfig impala) {
        return queueTable(algorithm) ? envCopies : impala.batchUnrolls();
    }

    /**
     * The job's learner settings: {@code troupe.learner} with the job's algorithm and batch ({@link #batchUnrolls}),
     * a relative checkpoint directory resolved against {@code runPath}.
     */
    static LearnerSettings learnerSettings(Config node, TrainSettings settings, Path runPath) {
        return learnerSettings(node, settings, ImpalaConfig.fromConfig(node.getConfig("troupe.impala")), runPath);
    }

    private static LearnerSettings learnerSettings(Config node, TrainSettings settings, ImpalaConfig impala,
                                                   Path runPath) {
        LearnerSettings configured = LearnerSettings.fromConfig(node.getConfig("troupe.learner"),
                learnerAlgorithm(settings.algorithm()), batchUnrolls(settings.algorithm(), settings.totalEnvs(),
                        impala));
        return configured.checkpointDir().isAbsolute() ? configured
                : configured.withCheckpointDir(runPath.resolve(configured.checkpointDir()));
    }

    /**
     * Under a policy-lag bound an agent waits up to {@code troupe.agent.policy-wait-timeout} for weights; a learner
     * that trains on a partial batch sooner ({@code troupe.learner.partial-batch-after}) splits the batch of every
     * such wait. Refused, naming both keys.
     */
    static void checkPacing(AgentSettings agents, LearnerSettings learner) {
        if (agents.maxPolicyLag() >= 0 && learner.partialBatchAfter().compareTo(agents.policyWaitTimeout()) <= 0) {
            throw new IllegalArgumentException("troupe.learner.partial-batch-after (" + learner.partialBatchAfter()
                    .toMillis() + " ms) must be longer than troupe.agent.policy-wait-timeout ("
                    + agents.policyWaitTimeout().toMillis() + " ms) under troupe.agent.max-policy-lag = "
                    + agents.maxPolicyLag() + ": an agent waiting for weights would split the learner's batch; raise "
                    + "partial-batch-after (by an unroll's acting time or more), lower policy-wait-timeout, or set "
                    + "max-policy-lag = -1");
        }
    }

    /** The learner's algorithm for the job's. */
    private static LearnerAlgorithm learnerAlgorithm(Algorithm algorithm) {
        return switch (algorithm) {
            case PPO -> LearnerAlgorithm.PPO;
            case IMPALA -> LearnerAlgorithm.IMPALA;
            case DISTILL -> LearnerAlgorithm.DISTILL;
            case RANDOM -> throw new IllegalArgumentException("troupe.train.algorithm = random has no learner: it "
                    + "runs with troupe train, not on cluster nodes");
        };
    }

    /**
     * The job's learner, replay and pacing settings as {@link #start} reads them, from a node's config (the job's under
     * {@link #nodeConfig}): their errors before a node starts or a run directory is written.
     */
    public static void checkSettings(Config node, TrainSettings settings) {
        checkPacing(agentSettings(node, settings), learnerSettings(node, settings, Path.of(".")));
        ReplaySettings.fromConfig(node.getConfig("troupe.replay"));
    }

    /**
     * The agents' settings: the policy-lag bound paces on-policy PPO and distillation; IMPALA is off-policy (V-trace
     * corrects for lag), its agents act freely and its learner samples a replay table.
     */
    private static AgentSettings agentSettings(Config node, TrainSettings settings) {
        return queueTable(settings.algorithm()) ? AgentSettings.fromConfig(node)
                : AgentSettings.fromConfig(node).actingFreely();
    }

    /** Starts this node's part of the job; relative checkpoint directories resolve against {@code runPath}. */
    public static Handles start(ActorSystem<?> system, Config node, TrainSettings settings, EnvRegistry registry,
                                Path runPath) {
        int agents = settings.numAgents();
        int k = settings.envsPerAgent();
        EnvSpec spec;
        try (var probe = registry.make(settings.env(), settings.envOverrides())) {
            spec = probe.spec();
        }
        ModelConfig model = ModelConfig.fromConfig(node.getConfig("troupe.model"));
        ImpalaConfig impala = ImpalaConfig.fromConfig(node.getConfig("troupe.impala"));
        LearnerSettings learnerSettings = learnerSettings(node, settings, impala, runPath);
        Device device = Devices.select(learnerSettings.device());
        AgentSettings agentSettings = agentSettings(node, settings);
        UnrollBudget.check(spec, agentSettings, WireSettings.fromConfig(node).maxMessageBytes());
        checkPacing(agentSettings, learnerSettings);
        var region = ReplaySharding.init(system, ReplaySettings.fromConfig(node.getConfig("troupe.replay")),
                Optional.empty());
        ActorRef<Learner.Command> learner = Learner.initSingleton(system, new Learner.Spec(spec, model,
                PpoConfig.fromConfig(node.getConfig("troupe.ppo")), impala, learnerSettings, settings.seed(),
                DistillConfig.fromConfig(node.getConfig("troupe.distill")), agentSettings.unrollLength()));
        ActorRef<RunMetrics.Command> metrics = ClusterSingleton.get(system).init(
                SingletonActor.of(RunMetrics.create(), "troupe-run-metrics")
                        .withSettings(ClusterSingletonSettings.create(system).withRole(learnerSettings.role())));
        ActorRef<Agent.Report> reports = system.systemActorOf(RunMetrics.adapter(metrics), "run-reports",
                Props.empty());
        ShardedDaemonProcess.get(system).init(Agent.Command.class, AGENTS, agents,
                i -> AgentHost.create(i, index -> new Agent.Spec("agent-" + index, index,
                        settings.seed() * 1000 + (long) index * k,
                        // training copies play the env's curriculum when it has one (evaluations play the level)
                        () -> Curriculum.started(registry.make(settings.env(), settings.envOverrides())),
                        () -> PolicyModel.create(spec, model, settings.seed(), device), agentSettings, region,
                        reports)),
                ShardedDaemonProcessSettings.create(system).withRole("agent"), Optional.of(AgentHost.STOP));
        return new Handles(spec, model, device, learner, metrics);
    }
}
