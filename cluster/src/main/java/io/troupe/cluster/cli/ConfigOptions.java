package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import io.troupe.cluster.config.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --config FILE} plus the config file's location rules, shared by commands that read a job config. */
final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "HOCON job config (default: conf/cartpole.conf of the Troupe directory, for train)")
    Path config;

    /** The config file given, else {@code defaultName} under {@code $troupe.home/conf} if it exists, else none. */
    Path resolve(String defaultName) {
        if (config != null) {
            return config;
        }
        if (defaultName == null) {
            return null;
        }
        String home = System.getProperty("troupe.home", ".");
        Path p = Path.of(home, "conf", defaultName);
        return p.toFile().isFile() ? p : null;
    }

    Config load(String defaultName, List<String> overrides) {
        return JobConfig.load(resolve(defaultName), overrides == null ? new ArrayList<>() : overrides);
    }

    /**
     * As {@link #load(String, List)}, with {@code options} (values the command's own options set) on top and
     * {@code underJob} (node settings) below the job file.
     */
    Config load(String defaultName, List<String> overrides, Config options, Config underJob) {
        return JobConfig.load(resolve(defaultName), overrides == null ? new ArrayList<>() : overrides, options,
                underJob);
    }
}
