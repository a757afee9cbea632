package io.troupe.cluster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.cluster.json.JsonCodec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code troupe bench solve}: the time to target of a job over several seeds, each a fresh {@code ./troupe train} (the
 * launcher, so JVM start, class-data archive and JVM flags are what a user gets), one after another. Per seed it reads
 * the run's {@code summary.json}: solved, env steps to solve, seconds of training to solve and seconds from the JVM's
 * start to the target ({@code wall_s_to_solve_since_jvm_start}); then the medians. The machine's load average before
 * and after is part of the result: on a shared machine absolute seconds say little without it.
 */
public final class SolveBench {
    private SolveBench() {
    }

    /**
     * One seed's run: env steps, seconds of training and seconds since the JVM started, each up to the target (-1 when
     * it did not solve), and the launcher's whole wall time (build check, JVM start, training, summary).
     */
    public record SeedRun(long seed, boolean solved, long envStepsToSolve, double trainingS, double sinceJvmStartS,
                          double launcherS) {
    }

    /** The figures of {@code bench solve} ({@code --json} writes them under these names in snake_case). */
    public record Result(String config, List<SeedRun> runs, int solved, long medianEnvSteps,
                         double medianTrainingS, double medianSinceJvmStartS, String loadBefore, String loadAfter) {
    }

    /**
     * Runs {@code launcher train} once per seed with {@code --run-dir} under {@code workDir}, the given config file
     * (null: the launcher's default job) and overrides, and {@code troupe.train.seed} set last.
     */
    public static Result run(Path launcher, Path config, List<Long> seeds, List<String> overrides, Path workDir)
            throws IOException, InterruptedException {
        String loadBefore = loadAverage();
        List<SeedRun> runs = new ArrayList<>();
        for (long seed : seeds) {
            Path runDir = workDir.resolve("seed-" + seed);
            List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "train", "--run-dir", runDir.toString()));
            if (config != null) {
                cmd.addAll(List.of("--config", config.toString()));
            }
            cmd.addAll(overrides);
            cmd.add("troupe.train.seed=" + seed);
            long start = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(workDir.resolve("seed-" + seed + ".log").toFile()).start();
            int code = p.waitFor();
            double launcherS = (System.nanoTime() - start) / 1e9;
            if (code != 0) {
                throw new IllegalStateException("troupe train for seed " + seed + " exited with " + code
                        + "; its output: " + workDir.resolve("seed-" + seed + ".log"));
            }
            runs.add(read(seed, summaryOf(runDir), launcherS));
        }
        List<SeedRun> solved = runs.stream().filter(SeedRun::solved).toList();
        return new Result(config == null ? "(default job)" : config.toString(), runs, solved.size(),
                Math.round(median(solved.stream().mapToDouble(SeedRun::envStepsToSolve).toArray())),
                round2(median(solved.stream().mapToDouble(SeedRun::trainingS).toArray())),
                round2(median(solved.stream().mapToDouble(SeedRun::sinceJvmStartS).toArray())),
                loadBefore, loadAverage());
    }

    /** Seeds written as {@code 1-8}, {@code 1,3,5} or a mix ({@code 1-4,9}); an error naming the text otherwise. */
    public static List<Long> parseSeeds(String text) {
        List<Long> out = new ArrayList<>();
        try {
            for (String part : text.split(",")) {
                String p = part.trim();
                int dash = p.indexOf('-', 1);
                if (dash < 0) {
                    out.add(Long.parseLong(p));
                } else {
                    long from = Long.parseLong(p.substring(0, dash).trim());
                    long to = Long.parseLong(p.substring(dash + 1).trim());
                    if (to < from || to - from > 1000) {
                        throw new NumberFormatException();
                    }
                    for (long s = from; s <= to; s++) {
                        out.add(s);
                    }
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seeds takes seeds such as 1-8 or 1,3,5 (a range from low to high),"
                    + " got '" + text + "'");
        }
        return out;
    }

    /** The median of {@code values} (the mean of the middle two for an even count); NaN for none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Prints one line per seed, then the medians and the load. */
    public static void print(Result r, PrintStream out) {
        out.printf("%-6s %-6s %18s %16s %20s %12s%n", "seed", "solved", "env_steps_to_solve", "training_s",
                "since_jvm_start_s", "launcher_s");
        for (SeedRun s : r.runs()) {
            out.printf("%-6d %-6s %,18d %16.2f %20.2f %12.2f%n", s.seed(), s.solved(), s.envStepsToSolve(),
                    s.trainingS(), s.sinceJvmStartS(), s.launcherS());
        }
        out.printf("%-6s %-6s %,18d %16.2f %20.2f%n", "median", r.solved() + "/" + r.runs().size(),
                r.medianEnvSteps(), r.medianTrainingS(), r.medianSinceJvmStartS());
        out.printf("load average before: %s; after: %s%n", r.loadBefore(), r.loadAfter());
    }

    private static Path summaryOf(Path runDir) throws IOException {
        try (var s = Files.list(runDir)) {
            return s.map(d -> d.resolve("summary.json")).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no summary.json under " + runDir));
        }
    }

    static SeedRun read(long seed, Path summary, double launcherS) throws IOException {
        JsonNode j = JsonCodec.readTree(Files.readString(summary), summary.toString());
        boolean solved = j.path("solved").asBoolean(false);
        return new SeedRun(seed, solved, solved ? j.path("env_steps_to_solve").asLong() : -1,
                solved ? round2(j.path("wall_s_to_solve").asDouble()) : -1,
                solved ? round2(j.path("wall_s_to_solve_since_jvm_start").asDouble()) : -1, round2(launcherS));
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The 1, 5 and 15 minute load averages ({@code /proc/loadavg}), or "unknown" where there is none. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
