package io.troupe.cluster.cli;

import picocli.CommandLine.Option;

/** The evaluation options every {@code compress} subcommand shares (a picocli mixin). */
final class CompressOptions {
    @Option(names = "--eval-episodes", defaultValue = "200", paramLabel = "N",
            description = "greedy episodes each of the original and the compressed policy is evaluated on "
                    + "(default ${DEFAULT-VALUE}; the 95%% intervals need many)")
    int evalEpisodes;

    @Option(names = "--seed", defaultValue = "12345", paramLabel = "N",
            description = "evaluation seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--latency-seconds", defaultValue = "1", paramLabel = "S",
            description = "seconds each latency figure is measured for (default ${DEFAULT-VALUE})")
    double latencySeconds;

    /** Refuses values out of range, naming the option. */
    void validate() {
        if (evalEpisodes < 1) {
            throw new IllegalArgumentException("--eval-episodes must be >= 1, got " + evalEpisodes);
        }
        if (!(latencySeconds > 0)) {
            throw new IllegalArgumentException("--latency-seconds must be > 0, got " + latencySeconds);
        }
    }
}
