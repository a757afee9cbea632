package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.cluster.run.EmbeddedClusterRun;
import io.troupe.cluster.run.ProgressLine;
import io.troupe.cluster.run.RandomPolicyRun;
import io.troupe.cluster.run.ReferencePpoRun;
import io.troupe.cluster.run.RunDirectory;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.Devices;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code troupe train}: runs a job on the embedded single node and writes {@code runs/<run-id>/}. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run a training job on this machine and write runs/<run-id>/ "
                + "(config.conf, metrics.jsonl, summary.json).",
            "Stops when the target is reached or the step/time budget is spent (exit code 0 either way)."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "directory for runs/<run-id>/ (troupe.train.runs-dir)")
    Path runDir;

    @Option(names = "--target", paramLabel = "RETURN", description = "100-episode mean return that counts as solved")
    Double target;

    @Option(names = "--admin-port", paramLabel = "PORT",
            description = "serve the admin HTTP API (status, rewards) on 127.0.0.1:PORT (troupe.admin.port; 0 picks a "
                    + "free port); mutating requests need the TROUPE_ADMIN_TOKEN bearer token")
    Integer adminPort;

    @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.train.seed=3")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Devices.preloadEngine();
        // the options as values, never spliced into HOCON text: any directory name works
        Config options = ConfigFactory.empty();
        if (runDir != null) {
            options = options.withValue("troupe.train.runs-dir", ConfigValueFactory.fromAnyRef(runDir.toString()));
        }
        if (adminPort != null) {
            options = options.withValue("troupe.admin.port", ConfigValueFactory.fromAnyRef(adminPort));
        }
        if (target != null) {
            options = options.withValue("troupe.train.target-return", ConfigValueFactory.fromAnyRef(target));
        }
        Config config = configOptions.load("cartpole.conf", overrides, options, ConfigFactory.empty());
        TrainSettings settings = TrainSettings.fromConfig(config);
        EnvRegistry registry = EnvRegistry.fromConfig(config);
        registry.registration(settings.env()); // unknown env: error listing the known ids, before anything is written
        RunDirectory run = RunDirectory.create(settings.runsDir(), settings.env(), settings.algorithm(),
                settings.seed(), LocalDateTime.now());
        run.writeConfig(config);
        boolean reference = settings.algorithm().equals("ppo") && settings.mode().equals("reference");
        int envs = reference ? config.getInt("troupe.ppo.num-envs") : settings.totalEnvs();
        String where = settings.algorithm().equals("random") ? "" : reference ? ", reference loop"
                : ", " + settings.numAgents() + " agents x " + settings.envsPerAgent() + " on an embedded node";
        System.out.println("troupe train: " + settings.env() + " with " + settings.algorithm() + ", seed "
                + settings.seed() + ", " + envs + " envs" + where + " -> " + run.path());
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> { // Ctrl-C: stop at the next step boundary and write the summary
            stop.set(true);
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "troupe-train-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (run) {
            if (settings.algorithm().equals("random")) {
                printResult(new RandomPolicyRun(settings, registry, run, ProgressLine.forStdout(), stop).run(), run);
            } else if (settings.mode().equals("cluster")) {
                // the result is printed as soon as the run ends; the node then stops (agents, replay, the learner)
                new EmbeddedClusterRun(settings, config, registry, run, ProgressLine.forStdout(), stop)
                        .run(summary -> printResult(summary, run));
            } else {
                printResult(new ReferencePpoRun(settings, config, registry, run, ProgressLine.forStdout(), stop).run(),
                        run);
            }
        } finally {
            finished.countDown();
            if (!stop.get()) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
        return 0;
    }

    private static void printResult(Map<String, Object> summary, RunDirectory run) {
        System.out.printf("%s after %,d env steps in %.1f s (%.1f s since the JVM started): solved=%s, mean "
                        + "return (100) %.2f; summary in %s%n", summary.get("stop_reason"),
                (Long) summary.get("env_steps"), (Double) summary.get("wall_s"),
                (Double) summary.get("wall_s_since_jvm_start"), summary.get("solved"),
                (Double) summary.get("mean_return_100"), run.path().resolve("summary.json"));
        System.out.flush();
    }
}
