package io.troupe.cluster.cli;

import io.troupe.cluster.util.Json;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.bench.EnvBenchmark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code troupe bench ...}: benchmarks that print a table and can write JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run benchmarks.",
        subcommands = {BenchCommand.EnvBench.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static void writeJson(Path file, Object value) {
        if (file == null) {
            return;
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, Json.pretty(value));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Command(name = "env", mixinStandardHelpOptions = true,
            description = "Env steps/s on one thread: one env, and a vectorized env of K copies (random actions).")
    static final class EnvBench implements Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--envs", defaultValue = "64", description = "K, copies in the vectorized env (default 64)")
        int envs;

        @Option(names = "--seconds", defaultValue = "1.0", description = "length of one timed round (default 1.0)")
        double seconds;

        @Option(names = "--rounds", defaultValue = "3", description = "timed rounds; the best is kept (default 3)")
        int rounds;

        @Parameters(paramLabel = "ID", arity = "0..*", description = "env ids (default: the built-in envs)")
        List<String> ids = new ArrayList<>();

        @Override
        public Integer call() {
            EnvRegistry registry = EnvRegistry.defaults();
            List<String> targets = ids.isEmpty() ? List.of("CartPole-v1", "GoToObject-v0") : ids;
            for (String id : targets) {
                registry.registration(id);
            }
            EnvBenchmark bench = new EnvBenchmark(registry, seconds, rounds, envs);
            Map<String, Object> out = new LinkedHashMap<>();
            System.out.printf("%-16s %18s %22s %22s %6s%n", "env", "steps/s (1 env)", "object API steps/s",
                    "vector env steps/s", "K");
            for (String id : targets) {
                EnvBenchmark.Result r = bench.run(id);
                System.out.printf("%-16s %,18.0f %,22.0f %,22.0f %6d%n", id, r.stepsPerS(), r.objectApiStepsPerS(),
                        r.vectorStepsPerS(), r.envs());
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("steps_per_s", Math.round(r.stepsPerS()));
                m.put("object_api_steps_per_s", Math.round(r.objectApiStepsPerS()));
                m.put("vector_steps_per_s", Math.round(r.vectorStepsPerS()));
                m.put("envs", r.envs());
                out.put(id, m);
            }
            System.out.printf("(one thread, random actions, auto-reset, best of %d x %.1f s rounds; checksum %.3g)%n",
                    rounds, seconds, bench.sink());
            writeJson(json, out);
            return 0;
        }
    }
}
