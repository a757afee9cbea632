package io.troupe.cluster.cli;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.bench.ActingBench;
import io.troupe.cluster.bench.ClusterBench;
import io.troupe.cluster.bench.ExportBench;
import io.troupe.cluster.bench.GroundingBench;
import io.troupe.cluster.bench.LearnerBench;
import io.troupe.cluster.bench.PipelineBench;
import io.troupe.cluster.bench.RewardBench;
import io.troupe.cluster.bench.ServeBench;
import io.troupe.cluster.bench.SolveBench;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.learners.bench.UpdateThroughput;
import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelConfig;
import io.troupe.replay.bench.ReplayBench;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.bench.EnvBenchmark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code troupe bench ...}: benchmarks that print a table and can write JSON. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run benchmarks.",
        subcommands = {BenchCommand.EnvBench.class, BenchCommand.ReplayBenchCommand.class,
            BenchCommand.RewardBenchCommand.class, BenchCommand.ClusterBenchCommand.class,
            BenchCommand.LearnerBenchCommand.class, BenchCommand.ActingBenchCommand.class,
            BenchCommand.ExportBenchCommand.class, BenchCommand.ServeBenchCommand.class,
            BenchCommand.SolveBenchCommand.class, BenchCommand.PipelineBenchCommand.class,
            BenchCommand.GroundingBenchCommand.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * The job a pipeline benchmark runs: its settings, model and agent settings, default
     * conf/cartpole-transformer.conf.
     */
    record Job(TrainSettings settings, ModelConfig model, AgentSettings agents) {
        static Job load(ConfigOptions options, List<String> overrides) {
            Config config = options.load("cartpole-transformer.conf", overrides);
            return new Job(TrainSettings.fromConfig(config),
                    ModelConfig.fromConfig(config.getConfig("troupe.model")), AgentSettings.fromConfig(config));
        }
    }

    /**
     * Prints one figure per line (whole numbers with thousands separators) and writes them to {@code json} if given.
     */
    static void printFigures(Object figures, Path json) {
        for (Iterator<Map.Entry<String, JsonNode>> it = JsonCodec.tree(figures).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            System.out.printf("%-30s %s%n", e.getKey(), format(e.getValue()));
        }
        writeJson(json, figures);
    }

    /** A figure as the tables print it: whole numbers with thousands separators, a list's items between slashes. */
    static String format(JsonNode v) {
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            v.forEach(item -> items.add(format(item)));
            return String.join(" / ", items);
        }
        return v.isIntegralNumber() ? String.format("%,d", v.asLong()) : v.asText();
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
            Files.writeString(file, JsonCodec.pretty(value));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** One env's figures in {@code bench env --json} (snake_case names). */
    record EnvFigures(long stepsPerS, long objectApiStepsPerS, long vectorStepsPerS, int envs) {
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
            Map<String, EnvFigures> out = new LinkedHashMap<>();
            System.out.printf("%-16s %18s %22s %22s %6s%n", "env", "steps/s (1 env)", "object API steps/s",
                    "vector env steps/s", "K");
            for (String id : targets) {
                EnvBenchmark.Result r = bench.run(id);
                System.out.printf("%-16s %,18.0f %,22.0f %,22.0f %6d%n", id, r.stepsPerS(), r.objectApiStepsPerS(),
                        r.vectorStepsPerS(), r.envs());
                out.put(id, new EnvFigures(Math.round(r.stepsPerS()), Math.round(r.objectApiStepsPerS()),
                        Math.round(r.vectorStepsPerS()), r.envs()));
            }
            System.out.printf("(one thread, random actions, auto-reset, best of %d x %.1f s rounds; checksum %.3g)%n",
                    rounds, seconds, bench.sink());
            writeJson(json, out);
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"The exported policy (ONNX Runtime, the edge jar) against DJL for the CartPole MLP and the "
                    + "GoToObject transformer: latency, throughput, resident memory, cold start, bundle size."})
    static final class ExportBenchCommand implements Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--seconds", defaultValue = "2", description = "timing per latency figure (default 2)")
        double seconds;

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0) {
                throw new IllegalArgumentException("bench export needs --seconds > 0, got " + seconds);
            }
            Path work = Files.createTempDirectory("troupe-bench-export");
            try {
                ExportBench.Result out = ExportBench.run(work, seconds);
                ExportBench.print(out, System.out);
                writeJson(json, out);
            } finally {
                try (var files = Files.walk(work)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return 0;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"The policy service and a client in one run (loopback, C keep-alive connections): the "
                    + "no-op ceiling, requests/s with dynamic batching and with max-batch-size 1, p50/p99 at half the "
                    + "maximum rate, mean batch size; CartPole MLP and GoToObject transformer.",
                "Server settings: troupe.serving.* as key=value (e.g. troupe.serving.max-batch-delay=2ms)."})
    static final class ServeBenchCommand implements Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--connections", defaultValue = "64", description = "client connections (default 64)")
        int connections;

        @Option(names = "--seconds", defaultValue = "3", description = "measured seconds per figure (default 3)")
        double seconds;

        @Option(names = "--client", defaultValue = "event-loop", paramLabel = "event-loop|threads",
                description = "the closed-loop client: one event-loop thread, as wrk (default), or a thread per "
                        + "connection")
        String client;

        @Option(names = "--max-warm-up", defaultValue = "60", paramLabel = "SECONDS", description = {"the longest "
                + "each model's routes warm up: at least 4 x --seconds, then until the JIT is quiet (default 60)"})
        double maxWarmUp;

        @Parameters(paramLabel = "key=value", description = "server settings, e.g. troupe.serving.workers=2")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (connections < 1 || connections > 1024) {
                throw new IllegalArgumentException("bench serve needs --connections in 1..1024, got " + connections);
            }
            if (seconds <= 0) {
                throw new IllegalArgumentException("bench serve needs --seconds > 0, got " + seconds);
            }
            if (maxWarmUp <= 0) {
                throw new IllegalArgumentException("bench serve needs --max-warm-up > 0 seconds, got " + maxWarmUp);
            }
            ServeBench.Client closedLoop = switch (client) {
                case "event-loop" -> ServeBench.Client.EVENT_LOOP;
                case "threads" -> ServeBench.Client.THREADS;
                default -> throw new IllegalArgumentException("bench serve --client must be event-loop or threads, "
                        + "got '" + client + "'");
            };
            Devices.preloadEngine();
            ServeBench.Result out = ServeBench.run(JobConfig.load(null, overrides), closedLoop, connections, seconds,
                    maxWarmUp);
            ServeBench.print(out, System.out);
            writeJson(json, out);
            return 0;
        }
    }

    @Command(name = "pipeline", mixinStandardHelpOptions = true,
            description = {"What a hop between pipeline stages costs: a policy answered by one node, and by 2 and 3 "
                    + "stage actors on other loopback nodes (troupe.serving.pipeline), for GoToObject's transformer "
                    + "with 4 blocks and a 6 x 256 one: p50/p99 per request, requests/s, ratios to one node."})
    static final class PipelineBenchCommand implements Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--seconds", defaultValue = "3", description = "measured seconds per figure (default 3)")
        double seconds;

        @Option(names = "--rounds", defaultValue = "3", description = "turns the setups take (default 3)")
        int rounds;

        @Option(names = "--rows", split = ",", defaultValue = "1,64",
                description = "observations per request, comma-separated (default 1,64)")
        List<Integer> rows = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0 || rounds < 1 || rows.stream().anyMatch(r -> r < 1)) {
                throw new IllegalArgumentException("bench pipeline needs --seconds > 0, --rounds >= 1 and --rows >= 1,"
                        + " got " + seconds + ", " + rounds + ", " + rows);
            }
            Devices.preloadEngine();
            PipelineBench.Result out = PipelineBench.run(seconds, rounds, rows);
            PipelineBench.print(out, System.out);
            writeJson(json, out);
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Replay tables and codec (JMH), and shard ingest through reliable delivery, in memory and "
                    + "in wal mode."})
    static final class ReplayBenchCommand implements Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--forks", defaultValue = "1", description = "JMH forks (default 1; 0 runs in this JVM)")
        int forks;

        @Option(names = "--iterations", defaultValue = "3", description = "JMH measured iterations (default 3)")
        int iterations;

        @Option(names = "--seconds", defaultValue = "1.0", description = "JMH iteration length (default 1.0)")
        double seconds;

        @Option(names = "--producers", defaultValue = "4", description = "producers in the ingest runs (default 4)")
        int producers;

        @Option(names = "--batches", defaultValue = "400",
                description = "batches of 16 x 64 steps per producer in the ingest runs (default 400)")
        int batches;

        @Override
        public Integer call() throws Exception {
            if (forks < 0 || iterations < 1 || seconds <= 0 || producers < 1 || batches < 1) {
                throw new IllegalArgumentException("bench replay needs --forks >= 0, --iterations >= 1, --seconds > 0, "
                        + "--producers >= 1, --batches >= 1");
            }
            Path work = Files.createTempDirectory("troupe-bench-replay");
            try {
                ReplayBench.Result out = ReplayBench.run(new ReplayBench.Options(forks, Math.max(1, iterations - 1),
                        iterations, seconds, producers, batches), work);
                System.out.println();
                System.out.printf("%-34s %18s   %s%n", "figure", "value", "target on 2 cores");
                Map<String, String> targets = Map.of(
                        "uniform_insert_per_s", ">= 5,000,000",
                        "prioritized_insert_per_s", ">= 5,000,000",
                        "prioritized_sample_items_per_s", ">= 2,000,000",
                        "kryo_roundtrip_mb_per_s", ">= 300",
                        "shard_insert_steps_per_s", ">= 200,000",
                        "wal_vs_memory", ">= 0.5");
                for (Iterator<Map.Entry<String, JsonNode>> it = JsonCodec.tree(out).fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    System.out.printf("%-34s %18s   %s%n", e.getKey(), format(e.getValue()),
                            targets.getOrDefault(e.getKey(), ""));
                }
                writeJson(json, out);
            } finally {
                try (var files = Files.walk(work)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return 0;
        }
    }

    @Command(name = "learner", mixinStandardHelpOptions = true,
            description = {"PPO updates/s and experience steps consumed/s of the default models, and the time to "
                    + "publish one weights version to another node on loopback."})
    static final class LearnerBenchCommand implements Callable<Integer> {
        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--seconds", defaultValue = "5", description = "training time per model (default 5)")
        double seconds;

        @Option(names = "--publishes", defaultValue = "5", description = "publications timed per model (default 5)")
        int publishes;

        @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu, gpu:N, gpu:all or a list "
                + "such as gpu:0,gpu:1 (data-parallel) (default auto)")
        String device;

        @Option(names = "--pipeline-stages", defaultValue = "2", description = "K, stages of the pipeline line's "
                + "4-block transformer (one per device listed, or all on the one device; 0 skips the line; default 2)")
        int pipelineStages;

        @Option(names = "--micro-batches", defaultValue = "4", description = "M, micro-batches of the pipeline line "
                + "(default 4)")
        int microBatches;

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0 || publishes < 1) {
                throw new IllegalArgumentException("bench learner needs --seconds > 0 and --publishes >= 1");
            }
            if (pipelineStages < 0 || pipelineStages > 4 || microBatches < 1) {
                throw new IllegalArgumentException("bench learner needs --pipeline-stages in 0..4 (the model has 4 "
                        + "blocks) and --micro-batches >= 1, got " + pipelineStages + " and " + microBatches);
            }
            Map<String, LearnerBench.Figures> out = LearnerBench.run(LearnerBench.defaultCases(),
                    Devices.selectAll(device), seconds, publishes);
            System.out.printf("%-28s %14s %14s %12s %12s %12s %8s%n", "model", "updates/s", "samples/s", "params",
                    "bytes", "publish ms", "device");
            for (Map.Entry<String, LearnerBench.Figures> e : out.entrySet()) {
                LearnerBench.Figures m = e.getValue();
                System.out.printf("%-28s %14s %,14d %,12d %,12d %12s %8s%n", e.getKey(), m.updatesPerS(),
                        m.samplesPerS(), m.parameters(), m.weightsBytes(), m.publishMs(), m.device());
            }
            System.out.println("(PPO update = 4 epochs x 4 minibatches over a 512-step rollout, CleanRL's defaults)");
            if (pipelineStages == 0) {
                writeJson(json, out);
                return 0;
            }
            List<Device> devices = Devices.selectAll(device);
            UpdateThroughput.PipelineComparison p = LearnerBench.pipeline(devices.size() >= pipelineStages
                    ? devices.subList(0, pipelineStages) : devices.subList(0, 1), pipelineStages, microBatches, seconds);
            System.out.printf("%-28s %14s %14s %12s %12s %12s %8s%n", "pipeline", "unsplit up/s", "split up/s",
                    "split/unsplit", "bubble", "K x M", "devices");
            System.out.printf("%-28s %14s %14s %12s %12s %12s %8s%n", LearnerBench.PIPELINE_CASE.name(),
                    p.unsplitUpdatesPerS(), p.pipelinedUpdatesPerS(), p.ratio(), p.bubbleFraction(),
                    p.stages() + " x " + p.microBatches(), p.devices());
            System.out.println("(GPipe: each minibatch in M micro-batches, forward through the K stages, backward in "
                    + "reverse, one Adam step; same run, alternating rounds)");
            writeJson(json, new LearnerFigures(out, p));
            return 0;
        }
    }

    /** {@code bench learner --json}: the models' figures and the pipeline line. */
    record LearnerFigures(Map<String, LearnerBench.Figures> models, UpdateThroughput.PipelineComparison pipeline) {
    }

    @Command(name = "acting", mixinStandardHelpOptions = true,
            description = {"Env steps/s through agents + batched inference + streaming into replay (no learner), the "
                    + "bare inference ceiling of the same model and batch, their ratio, and steps/s while training."})
    static final class ActingBenchCommand implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ConfigOptions configOptions;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--seconds", defaultValue = "10", description = "measured seconds per phase (default 10)")
        double seconds;

        @Option(names = "--max-warm-up", defaultValue = "60", paramLabel = "SECONDS", description = {"the longest "
                + "each path warms up: at least --seconds, then until the JIT is quiet (default 60)"})
        double maxWarmUp;

        @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.train.num-agents=2")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0) {
                throw new IllegalArgumentException("--seconds must be > 0");
            }
            if (maxWarmUp <= 0) {
                throw new IllegalArgumentException("--max-warm-up must be > 0 seconds, got " + maxWarmUp);
            }
            Job job = Job.load(configOptions, overrides);
            TrainSettings settings = job.settings();
            ModelConfig model = job.model();
            Path work = Files.createTempDirectory("troupe-bench-acting");
            ActingBench.Result out = ActingBench.run(settings.env(), model,
                    settings.numAgents(), settings.envsPerAgent(), job.agents().actingSlice(), seconds, maxWarmUp,
                    work);
            printFigures(out, json);
            return 0;
        }
    }

    @Command(name = "grounding", mixinStandardHelpOptions = true,
            description = {"Supervised probe of the job's network on a GoToRoom level: trained on the moves toward "
                    + "the goal, with the mission or the image ablated and without; test accuracy per step "
                    + "(default job conf/gotoobject-pairs.conf)."})
    static final class GroundingBenchCommand implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ConfigOptions configOptions;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the curves as JSON")
        Path json;

        @Option(names = "--steps", defaultValue = "1000", description = "Adam steps per network (default 1000)")
        int steps;

        @Option(names = "--batch", defaultValue = "128", description = "observations per step (default 128)")
        int batch;

        @Option(names = "--train", defaultValue = "20000", description = "training observations (default 20000)")
        int train;

        @Option(names = "--test", defaultValue = "2000", description = "held-out observations (default 2000)")
        int test;

        @Option(names = "--every", defaultValue = "100", description = "steps between accuracy rows (default 100)")
        int every;

        @Option(names = "--ablate", defaultValue = "none,text,image", split = ",",
                description = "networks to train: none (the job's), text, image (default all three)")
        List<String> ablate;

        @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.model.film=true")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() {
            Config config = configOptions.load("gotoobject-pairs.conf", overrides);
            TrainSettings settings = TrainSettings.fromConfig(config);
            ModelConfig model = ModelConfig.fromConfig(config.getConfig("troupe.model"));
            List<Ablation> variants = ablate.stream().map(Ablation::parse).toList();
            GroundingBench.Result out = GroundingBench.run(EnvRegistry.fromConfig(config), settings.env(),
                    settings.envOverrides(), model, settings.seed(), variants,
                    new GroundingBench.Plan(steps, batch, train, test, every));
            System.out.printf("%s, %,d training and %,d held-out observations, batches of %d; a random move is "
                    + "right on %.3f of the held-out ones%n", out.env(), out.trainObservations(),
                    out.testObservations(), out.batch(), out.randomMoveAccuracy());
            for (GroundingBench.Curve c : out.curves()) {
                System.out.printf("%n%s (ablate = %s), %.0f s%n%8s %8s %10s %10s%n", c.model(), c.ablate(),
                        c.seconds(), "step", "loss", "train acc", "test acc");
                for (int i = 0; i < c.steps().size(); i++) {
                    System.out.printf("%8d %8.4f %10.4f %10.4f%n", c.steps().get(i), c.loss().get(i),
                            c.trainAccuracy().get(i), c.testAccuracy().get(i));
                }
                System.out.printf("final test accuracy %.4f; 0.95 first at step %s%n", c.finalTestAccuracy(),
                        c.stepsToTestAccuracy095() == null ? "(not reached)" : c.stepsToTestAccuracy095());
            }
            writeJson(json, out);
            return 0;
        }
    }

    @Command(name = "solve", mixinStandardHelpOptions = true,
            description = {"Time to target over seeds: one ./troupe train per seed (JVM start included), a line per "
                    + "seed from its summary.json, the medians and the machine's load average."})
    static final class SolveBenchCommand implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE", description = "job config (default: the default job, "
                + "conf/cartpole.conf)")
        Path config;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--seeds", defaultValue = "1-8", description = "seeds, e.g. 1-8 or 1,3,5 (default 1-8)")
        String seeds;

        @Parameters(paramLabel = "key=value", description = "config overrides for every run")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<Long> seedList = SolveBench.parseSeeds(seeds);
            Path launcher = Path.of(System.getProperty("troupe.home", "."), "troupe");
            if (!Files.isExecutable(launcher)) {
                throw new IllegalArgumentException("bench solve runs the launcher " + launcher + ", which is missing "
                        + "or not executable (run it from the Troupe directory, or set -Dtroupe.home)");
            }
            Path work = Files.createTempDirectory("troupe-bench-solve");
            SolveBench.Result out = SolveBench.run(launcher, config, seedList, overrides, work);
            SolveBench.print(out, System.out);
            System.out.println("runs in " + work);
            writeJson(json, out);
            return 0;
        }
    }

    @Command(name = "reward", mixinStandardHelpOptions = true,
            description = {"Cost of a reward expression per step vs the same reward in Java, acting throughput under "
                    + "the expression vs the env's own reward, and swap propagation on a 3-node loopback cluster."})
    static final class RewardBenchCommand implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ConfigOptions configOptions;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--seconds", defaultValue = "6", description = "measured seconds per acting phase (default 6)")
        double seconds;

        @Option(names = "--swaps", defaultValue = "40", description = "reward swaps timed (default 40)")
        int swaps;

        @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.train.num-agents=2")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0 || swaps < 1) {
                throw new IllegalArgumentException("bench reward needs --seconds > 0 and --swaps >= 1");
            }
            Job job = Job.load(configOptions, overrides);
            TrainSettings settings = job.settings();
            ModelConfig model = job.model();
            RewardBench.Result out = RewardBench.run(model, settings.numAgents(),
                    settings.envsPerAgent(), seconds, swaps, Files.createTempDirectory("troupe-bench-reward"));
            printFigures(out, json);
            return 0;
        }
    }

    @Command(name = "cluster", mixinStandardHelpOptions = true,
            description = {"Three nodes on loopback in this JVM: rebalance time when an agent node joins, acting "
                    + "steps/s over all nodes, and 10 MB weights publication to two agent nodes."})
    static final class ClusterBenchCommand implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ConfigOptions configOptions;

        @Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
        Path json;

        @Option(names = "--seconds", defaultValue = "8", description = "measured acting seconds (default 8)")
        double seconds;

        @Option(names = "--publishes", defaultValue = "10", description = "weights versions timed (default 10)")
        int publishes;

        @Option(names = "--weights-mb", defaultValue = "10", description = "size of the weights (default 10 MB)")
        int weightsMb;

        @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.train.num-agents=4")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0 || publishes < 1 || weightsMb < 1) {
                throw new IllegalArgumentException("bench cluster needs --seconds > 0, --publishes >= 1, "
                        + "--weights-mb >= 1");
            }
            Job job = Job.load(configOptions, overrides);
            TrainSettings settings = job.settings();
            ModelConfig model = job.model();
            ClusterBench.Result out = ClusterBench.run(model, Math.max(2,
                    settings.numAgents()), settings.envsPerAgent(), seconds, publishes, weightsMb * 1_000_000);
            printFigures(out, json);
            return 0;
        }
    }
}
