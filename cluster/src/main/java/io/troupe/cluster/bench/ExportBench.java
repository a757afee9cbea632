package io.troupe.cluster.bench;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.cluster.compress.PolicyComparison;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.space.Space;
import io.troupe.edge.OnnxPolicy;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.export.bundle.EdgeBundle;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code troupe bench export}: the exported policy against the training stack, for the CartPole MLP and the GoToObject
 * transformer (untrained weights of the default jobs' architectures: speed does not depend on their values). Per
 * model: the largest difference of ONNX Runtime's outputs from DJL's on a batch of real observations; median latency
 * of one call at batch 1 and 16 and throughput at batch 256, DJL against ONNX Runtime, one intra-op thread each; the
 * resident memory (VmRSS) of a child JVM that only loads the policy and has answered 100 observations, the edge jar
 * against a DJL process (both with the serial collector); cold start to the first action of
 * {@code java -jar troupe-edge.jar act}, once with an empty natives cache (the first start on a device unpacks ONNX
 * Runtime's library) and then the median of 3 (and of the DJL child, for scale); the bundle's size. Once: the training
 * distribution's size ({@code cluster/target/troupe.jar} plus its {@code lib/}, what the launcher runs).
 */
public final class ExportBench {
    /** The targets. */
    public static final double BUNDLE_RATIO_TARGET = 0.2;
    public static final double COLD_START_TARGET_MS = 1000;
    public static final double RSS_RATIO_TARGET = 1.0 / 3;

    private static final long SEED = 7;
    private static final int ANSWERS = 100;
    private static final int COLD_STARTS = 3;

    /** One model's figures ({@code --json} writes them in snake_case). */
    public record ModelFigures(String env, String model, long parameters, double maxAbsDiff,
                               double djlBatch1Us, double ortBatch1Us, double djlBatch16Us, double ortBatch16Us,
                               long djlObsPerS, long ortObsPerS, long edgeRssMib, long djlRssMib,
                               int answersAgreeing, long edgeFirstStartMs, long edgeColdStartMs, long djlColdStartMs,
                               long bundleBytes) {
    }

    /** The run's figures; {@code trainingDistributionBytes} is -1 where the launcher's jar was not found. */
    public record Result(List<ModelFigures> models, long trainingDistributionBytes, String trainingDistribution) {
    }

    private ExportBench() {
    }

    /** The architectures of the default jobs: conf/cartpole.conf's MLP, conf/gotoobject.conf's transformer. */
    static ModelConfig modelFor(String kind) {
        return switch (kind) {
            case "mlp" -> ModelConfig.mlp(64, 64);
            case "transformer" -> ModelConfig.transformer(32, 4, 1, 64, 6, 1);
            default -> throw new IllegalArgumentException("model kind '" + kind + "': expected mlp or transformer");
        };
    }

    public static Result run(Path workDir, double seconds) throws Exception {
        List<ModelFigures> models = new ArrayList<>();
        models.add(model("CartPole-v1", "mlp", workDir, seconds));
        models.add(model("GoToObject-v0", "transformer", workDir, seconds));
        Path distribution = trainingDistribution();
        return new Result(models, distribution == null ? -1 : distributionBytes(distribution),
                distribution == null ? "not found (run through ./troupe)" : distribution.toString());
    }

    private static ModelFigures model(String envId, String kind, Path workDir, double seconds) throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        EnvSpec spec = registry.spec(envId);
        Path dir = workDir.resolve(envId);
        try (PolicyModel djl = PolicyModel.create(spec, modelFor(kind), SEED, Device.cpu());
             VectorEnv envs = VectorEnv.of(() -> registry.make(envId), 256)) {
            envs.reset(1);
            ObservationBatch b256 = envs.observations();
            ObservationBatch b16 = rows(b256, spec.observationSpace(), 16);
            ObservationBatch b1 = rows(b256, spec.observationSpace(), 1);
            EdgeBundle.Written bundle = EdgeBundle.write(djl, 0, b256.read(0), dir, List.of());
            try (OnnxPolicy ort = OnnxPolicy.load(dir.resolve(EdgeBundle.MODEL))) {
                double diff = maxAbsDiff(djl.evaluate(b256), ort.evaluate(b256));
                double djl1 = medianMicros(djl, b1, seconds);
                double ort1 = medianMicros(ort, b1, seconds);
                double djl16 = medianMicros(djl, b16, seconds);
                double ort16 = medianMicros(ort, b16, seconds);
                long djlTput = Math.round(256 / (medianMicros(djl, b256, seconds) / 1e6));
                long ortTput = Math.round(256 / (medianMicros(ort, b256, seconds) / 1e6));
                List<String> lines = new ArrayList<>();
                ObjectMapper mapper = new ObjectMapper();
                for (int r = 0; r < ANSWERS; r++) {
                    lines.add(mapper.writeValueAsString(ObservationJson.write(b256.read(r), spec.observationSpace())));
                }
                Answered edge = answer(edgeCommand(dir, workDir.resolve("native-cache-" + kind), "pipe"), lines);
                Answered djlChild = answer(djlCommand(envId, kind), lines);
                int agreeing = 0;
                for (int i = 0; i < ANSWERS; i++) {
                    agreeing += edge.answers.get(i).equals(djlChild.answers.get(i)) ? 1 : 0;
                }
                String example = dir.resolve(EdgeBundle.EXAMPLE).toString();
                Path cache = workDir.resolve("cold-start-cache-" + kind);
                long edgeFirst = coldStart(edgeCommand(dir, cache, "act", "--obs", example), null, 1);
                long edgeCold = coldStart(edgeCommand(dir, cache, "act", "--obs", example), null, COLD_STARTS);
                long djlCold = coldStart(djlCommand(envId, kind), lines.get(0), COLD_STARTS);
                return new ModelFigures(envId, kind, djl.parameterCount(), diff, djl1, ort1, djl16, ort16, djlTput,
                        ortTput, edge.rssKib / 1024, djlChild.rssKib / 1024, agreeing, edgeFirst, edgeCold, djlCold,
                        bundle.bytes());
            }
        }
    }

    /** The table: one column per model, the target beside each figure it sets one for. */
    public static void print(Result r, PrintStream out) {
        ModelFigures a = r.models().get(0);
        ModelFigures b = r.models().get(1);
        out.printf("%-36s %16s %16s   %s%n", "figure", a.env(), b.env(), "target");
        row(out, "model (parameters)", a.model() + " (" + a.parameters() + ")", b.model() + " (" + b.parameters()
                + ")", "");
        row(out, "max |ORT - DJL| (logits, value)", String.format("%.2e", a.maxAbsDiff()),
                String.format("%.2e", b.maxAbsDiff()), "<= 1e-5");
        row(out, "batch 1 latency DJL (us)", us(a.djlBatch1Us()), us(b.djlBatch1Us()), "");
        row(out, "batch 1 latency ORT (us)", us(a.ortBatch1Us()), us(b.ortBatch1Us()), "<= DJL's");
        row(out, "batch 16 latency DJL (us)", us(a.djlBatch16Us()), us(b.djlBatch16Us()), "");
        row(out, "batch 16 latency ORT (us)", us(a.ortBatch16Us()), us(b.ortBatch16Us()), "");
        row(out, "throughput DJL (obs/s, batch 256)", String.format("%,d", a.djlObsPerS()),
                String.format("%,d", b.djlObsPerS()), "");
        row(out, "throughput ORT (obs/s, batch 256)", String.format("%,d", a.ortObsPerS()),
                String.format("%,d", b.ortObsPerS()), "");
        row(out, "resident memory edge jar (MiB)", Long.toString(a.edgeRssMib()), Long.toString(b.edgeRssMib()),
                "<= 1/3 of DJL's");
        row(out, "resident memory DJL process (MiB)", Long.toString(a.djlRssMib()), Long.toString(b.djlRssMib()),
                "");
        row(out, "edge / DJL resident memory", ratio(a.edgeRssMib(), a.djlRssMib()),
                ratio(b.edgeRssMib(), b.djlRssMib()), String.format("<= %.2f", RSS_RATIO_TARGET));
        row(out, "greedy answers agreeing (of " + ANSWERS + ")", Integer.toString(a.answersAgreeing()),
                Integer.toString(b.answersAgreeing()), Integer.toString(ANSWERS));
        row(out, "first start edge, natives unpacked (ms)", Long.toString(a.edgeFirstStartMs()),
                Long.toString(b.edgeFirstStartMs()), "");
        row(out, "cold start to first action edge (ms)", Long.toString(a.edgeColdStartMs()),
                Long.toString(b.edgeColdStartMs()), String.format("<= %.0f", COLD_START_TARGET_MS));
        row(out, "cold start to first action DJL (ms)", Long.toString(a.djlColdStartMs()),
                Long.toString(b.djlColdStartMs()), "");
        row(out, "bundle size (MiB)", mib(a.bundleBytes()), mib(b.bundleBytes()), "");
        String dist = r.trainingDistributionBytes() < 0 ? "n/a" : mib(r.trainingDistributionBytes());
        row(out, "training distribution (MiB)", dist, dist, "");
        row(out, "bundle / training distribution", r.trainingDistributionBytes() < 0 ? "n/a"
                        : ratio(a.bundleBytes(), r.trainingDistributionBytes()),
                r.trainingDistributionBytes() < 0 ? "n/a" : ratio(b.bundleBytes(), r.trainingDistributionBytes()),
                String.format("<= %.2f", BUNDLE_RATIO_TARGET));
        out.printf("(untrained weights of the default jobs' models; one intra-op thread; median call latency; training"
                + " distribution: %s and its lib/)%n", r.trainingDistribution());
    }

    private static void row(PrintStream out, String figure, String a, String b, String target) {
        out.printf("%-36s %16s %16s   %s%n", figure, a, b, target);
    }

    private static String us(double v) {
        return String.format("%.1f", v);
    }

    private static String mib(long bytes) {
        return String.format("%.1f", bytes / 1048576.0);
    }

    private static String ratio(long a, long b) {
        return b <= 0 ? "n/a" : String.format("%.3f", (double) a / b);
    }

    private static ObservationBatch rows(ObservationBatch from, Space space, int rows) {
        ObservationBatch out = ObservationBatch.forSpace(space, rows);
        for (int r = 0; r < rows; r++) {
            from.copyRow(r, out, r);
        }
        return out;
    }

    private static double maxAbsDiff(Policy.Evaluation a, Policy.Evaluation b) {
        double d = 0;
        for (int i = 0; i < a.logits().length; i++) {
            d = Math.max(d, Math.abs(a.logits()[i] - b.logits()[i]));
        }
        for (int i = 0; i < a.values().length; i++) {
            d = Math.max(d, Math.abs(a.values()[i] - b.values()[i]));
        }
        return d;
    }

    /** Median microseconds of one evaluate call (to 0.1 us), after a warm-up of a quarter of {@code seconds}. */
    static double medianMicros(Policy policy, ObservationBatch batch, double seconds) {
        return Math.round(PolicyComparison.medianLatencyMicros(policy, batch, seconds) * 10) / 10.0;
    }

    private static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    private static List<String> edgeCommand(Path dir, Path nativeCache, String... args) {
        List<String> cmd = new ArrayList<>(List.of(java().toString()));
        try {
            // the flags the bundle's troupe-edge launcher runs with
            cmd.addAll(EdgeBundle.jvmFlags(Files.size(dir.resolve(EdgeBundle.MODEL))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cmd.addAll(List.of("-Dtroupe.edge.native-cache=" + nativeCache, "-jar", dir.resolve(EdgeBundle.JAR).toString()));
        cmd.addAll(Arrays.asList(args));
        if (!Arrays.asList(args).contains("--dir")) {
            cmd.addAll(List.of("--dir", dir.toString()));
        }
        return cmd;
    }

    private static List<String> djlCommand(String envId, String kind) {
        return List.of(java().toString(), "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-cp", System.getProperty("java.class.path"),
                DjlPolicyChild.class.getName(), envId, kind, Long.toString(SEED));
    }

    private static ProcessBuilder builder(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb;
    }

    private record Answered(List<String> answers, long rssKib) {
    }

    /** Starts {@code command}, has it answer {@code lines}, reads its VmRSS, then closes its input. */
    private static Answered answer(List<String> command, List<String> lines) throws Exception {
        Process p = builder(command).start();
        List<String> answers = new ArrayList<>();
        try (Writer w = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
             BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                     StandardCharsets.UTF_8))) {
            for (String line : lines) {
                w.write(line + "\n");
                w.flush();
                String a = r.readLine();
                if (a == null) {
                    throw new IllegalStateException("child JVM " + String.join(" ", command) + " ended before"
                            + " answering (exit status " + p.waitFor() + ")");
                }
                answers.add(a);
            }
            long rss = rssKib(p.pid());
            return new Answered(answers, rss);
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    /** Median milliseconds from starting {@code command} to its first line of output, over {@code runs} starts. */
    private static long coldStart(List<String> command, String input, int runs) throws Exception {
        long[] ms = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Process p = builder(command).start();
            try (Writer w = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
                 BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                         StandardCharsets.UTF_8))) {
                if (input != null) {
                    w.write(input + "\n");
                    w.flush();
                }
                if (r.readLine() == null) {
                    throw new IllegalStateException("cold start: " + command + " printed nothing");
                }
                ms[i] = (System.nanoTime() - t0) / 1_000_000;
            } finally {
                p.destroy();
                p.waitFor();
            }
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }

    /** VmRSS of process {@code pid} in KiB from /proc, or -1 where there is no /proc. */
    static long rssKib(long pid) throws IOException {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** The launcher's jar ({@code cluster/target/troupe.jar}), or null when this JVM did not start from it. */
    static Path trainingDistribution() {
        String home = System.getProperty("troupe.home");
        if (home != null && Files.isRegularFile(Path.of(home, "cluster", "target", "troupe.jar"))) {
            return Path.of(home, "cluster", "target", "troupe.jar");
        }
        try {
            Path jar = Path.of(TroupeCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(jar) ? jar : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /** The jar plus every file in its {@code lib/}, where the launcher's class path takes the dependencies from. */
    static long distributionBytes(Path jar) throws IOException {
        long bytes = Files.size(jar);
        Path lib = jar.resolveSibling("lib");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> files = Files.list(lib)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    bytes += Files.size(f);
                }
            }
        }
        return bytes;
    }
}
