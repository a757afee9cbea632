package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.cluster.run.TrainJob;
import io.troupe.learners.model.Devices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code troupe train}: parses the options and runs the {@link TrainJob} (which writes {@code runs/<run-id>/}). */
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
        // the options as values, never spliced into HOCON text: any directory name works; on top of the overrides
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
        new TrainJob(configOptions.load("cartpole.conf", overrides, options, ConfigFactory.empty())).run();
        return 0;
    }
}
