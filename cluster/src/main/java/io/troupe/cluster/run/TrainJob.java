package io.troupe.cluster.run;

import com.typesafe.config.Config;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.node.NodeTimeouts;
import io.troupe.cluster.util.BindCheck;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.ppo.PpoConfig;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A training job on this machine ({@code troupe train}): checks the job, creates {@code runs/<run-id>/} with its
 * config, runs the algorithm where {@code troupe.train.mode} says (the uniform-random baseline, the reference loop or
 * the embedded one-node cluster), and prints the result as soon as the run ends. Ctrl-C stops the run at the next step
 * boundary and still writes the summary (waiting at most {@code troupe.node.terminate-timeout}).
 */
public final class TrainJob {
    private final Config config;

    /** {@code config} is the job's resolved config. */
    public TrainJob(Config config) {
        this.config = config;
    }

    /** Runs the job to its end; returns the summary. */
    public RunSummary run() throws Exception {
        return run(runPath -> { }, new AtomicBoolean());
    }

    /**
     * Runs the job until it ends or {@code stop} is set (checked at step boundaries, as Ctrl-C), calling
     * {@code prepare} with the new run directory after its config is written and before anything trains (compression
     * writes the starting checkpoint there); returns the summary.
     */
    public RunSummary run(Consumer<Path> prepare, AtomicBoolean stop) throws Exception {
        TrainSettings settings = TrainSettings.fromConfig(config);
        EnvRegistry registry = EnvRegistry.fromConfig(config);
        registry.registration(settings.env()); // unknown env: error listing the known ids, before anything is written
        try (Env probe = registry.make(settings.env(), settings.envOverrides())) {
            probe.spec(); // bad env parameters: the env's own error (before the reward's dry run would make the env)
        }
        ModelConfig.fromConfig(config.getConfig("troupe.model")); // a malformed troupe.model: its error, likewise
        // and the learners' settings, which the learner reads only once the node is up (a stop of seconds, a run dir)
        PpoConfig.fromConfig(config.getConfig("troupe.ppo"));
        ImpalaConfig.fromConfig(config.getConfig("troupe.impala"));
        if (settings.algorithm() != Algorithm.RANDOM && settings.mode() != RunMode.REFERENCE) {
            ClusterJob.checkSettings(ClusterJob.nodeConfig(settings).withFallback(config), settings);
            ClusterJob.replacedSettings(config, settings).forEach(line -> System.err.println("troupe train: " + line));
        }
        InitialReward.check(registry, settings, config); // a reward that cannot be used: likewise
        EvaluationSettings evaluation = EvaluationSettings.fromConfig(config); // and a malformed evaluation
        if (evaluation.enabled()
                && (settings.algorithm() == Algorithm.RANDOM || settings.mode() == RunMode.REFERENCE)) {
            throw new IllegalArgumentException("troupe.train.evaluation.every-env-steps = "
                    + evaluation.everyEnvSteps() + ": greedy evaluations run on the learner's node of a cluster run "
                    + "(troupe.train.mode = cluster with ppo, impala or distill), not with algorithm = "
                    + settings.algorithm() + " in mode " + settings.mode());
        }
        NodeTimeouts timeouts = NodeTimeouts.fromConfig(config);
        AdminSettings admin = AdminSettings.fromConfig(config, System.getenv()); // a bad port or token, or a port in
        if (admin.enabled()) { // use: said before the run directory is written (the API binds once the node is up)
            BindCheck.requireBindable("admin API", admin.hostname(), admin.port(), "troupe.admin.port, --admin-port; 0 "
                    + "picks a free one");
        }
        RunDirectory run = RunDirectory.create(settings.runsDir(), settings.env(), settings.algorithm(),
                settings.seed(), LocalDateTime.now());
        run.writeConfig(config);
        prepare.accept(run.path());
        boolean reference = settings.algorithm() == Algorithm.PPO && settings.mode() == RunMode.REFERENCE;
        int envs = reference ? config.getInt("troupe.ppo.num-envs") : settings.totalEnvs();
        String where = settings.algorithm() == Algorithm.RANDOM ? "" : reference ? ", reference loop"
                : ", " + settings.numAgents() + " agents x " + settings.envsPerAgent() + " on an embedded node";
        System.out.println("troupe train: " + settings.env() + " with " + settings.algorithm() + ", seed "
                + settings.seed() + ", " + envs + " envs" + where + " -> " + run.path());
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> { // Ctrl-C: stop at the next step boundary and write the summary
            stop.set(true);
            try {
                finished.await(timeouts.terminateTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "troupe-train-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (run) {
            return switch (settings.algorithm()) {
                case RANDOM -> printResult(new RandomPolicyRun(settings, registry, run, ProgressLine.forStdout(), stop)
                        .run(), run);
                case PPO, IMPALA, DISTILL -> switch (settings.mode()) {
                    // the result is printed as soon as the run ends; the node then stops (agents, replay, learner)
                    case CLUSTER, CLUSTER_NODES -> new EmbeddedClusterRun(settings, config, registry, run,
                            ProgressLine.forStdout(), stop).run(summary -> printResult(summary, run));
                    case REFERENCE -> printResult(new ReferencePpoRun(settings, config, registry, run,
                            ProgressLine.forStdout(), stop).run(), run);
                };
            };
        } finally {
            finished.countDown();
            if (!stop.get()) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
    }

    private static RunSummary printResult(RunSummary summary, RunDirectory run) {
        System.out.printf("%s after %,d env steps in %.1f s (%.1f s since the JVM started): solved=%s, mean "
                        + "return (100) %.2f; summary in %s%n", summary.stopReason(), summary.envSteps(),
                summary.wallS(), summary.wallSSinceJvmStart(), summary.solved(), summary.meanReturn100(),
                run.path().resolve("summary.json"));
        System.out.flush();
        return summary;
    }
}
