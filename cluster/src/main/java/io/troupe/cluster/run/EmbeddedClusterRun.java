package io.troupe.cluster.run;

import com.typesafe.config.Config;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.environments.EnvRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;

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

    /**
     * Runs the job; {@code onResult} gets the summary as soon as the run ends, before the node stops (agents, replay,
     * then the learner, which checkpoints); returns the summary once the node has stopped.
     */
    public RunSummary run(Consumer<RunSummary> onResult) throws Exception {
        Config node = EmbeddedNode.config(ClusterJob.nodeConfig(settings), config);
        DriverSettings driver = DriverSettings.fromConfig(node);
        EvaluationSettings evaluation = EvaluationSettings.fromConfig(node);
        ActorSystem<Void> system = EmbeddedNode.start("troupe", node);
        AdminServer adminServer = null;
        try {
            // before the agents start, so that their first step already uses it
            InitialReward.apply(system, node, registry, settings);
            ClusterJob.Handles job = ClusterJob.start(system, node, settings, registry, run.path());
            RunReporter reporter = new RunReporter(settings, run, progress, job.spec(), evaluation);
            AdminSettings admin = AdminSettings.fromConfig(node, System.getenv());
            if (admin.enabled()) {
                adminServer = AdminServer.start(system, admin, registry, reporter::latest);
                progress.log("admin API on " + adminServer.url());
            }
            // one node: it always hosts the learner, so the driver always reports and always ends with a summary
            RunSummary summary = JobDriver.start(system, settings, driver,
                    JobDriver.Evaluations.of(system, evaluation, settings, registry, job), job, reporter, progress,
                    JobDriver.interruptWhen(stopRequested::get), () -> true,
                    RunFacts.cluster(RunMode.CLUSTER, settings.numAgents(), settings.envsPerAgent()))
                    .get().orElseThrow();
            onResult.accept(summary);
            return summary;
        } finally {
            if (adminServer != null) {
                adminServer.close();
            }
            EmbeddedNode.stop(system);
        }
    }
}
