package io.troupe.cluster.bench;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.model.PolicyStage;
import io.troupe.serving.pipeline.PipelineSettings;
import io.troupe.serving.pipeline.StageActor;
import io.troupe.serving.pipeline.StagedPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * What a hop between pipeline stages costs: the same policy answered by one node (the whole model, in process) and
 * by 2 and 3 stage actors on as many other nodes (loopback Artery, Kryo messages of whole rows), for GoToObject's
 * transformer with 4 blocks and a larger one. One client thread sends one request after another (per-request latency,
 * requests/s); the setups take turns round by round, so load from elsewhere falls on all of them alike.
 */
public final class PipelineBench {
    /** GoToObject's job model with 4 blocks instead of 1 (so that it splits in 2 or 3). */
    public static final ModelConfig GOTO = ModelConfig.transformer(32, 4, 4, 64, 6, 1);
    /** A larger transformer: 6 blocks of 256 wide. */
    public static final ModelConfig LARGE = ModelConfig.transformer(256, 8, 6, 1024, 6, 1);

    private PipelineBench() {
    }

    /**
     * One setup's figures.
     *
     * @param model       which model
     * @param parameters  its scalar parameters
     * @param rows        observations per request
     * @param stages      1: the whole model on one node, else stage actors on that many other nodes
     * @param hopBytes    activation bytes one request sends across each hop
     * @param p50Ms       median request latency
     * @param p99Ms       99th percentile
     * @param requestsPerS requests answered per second (one after another)
     * @param vsOneNode   this setup's median latency over the one-node median of the same model and rows
     */
    public record Row(String model, long parameters, int rows, int stages, long hopBytes, double p50Ms, double p99Ms,
                      double requestsPerS, double vsOneNode) {
    }

    /** Every row, and the load average before and after (the machine is shared). */
    public record Result(List<Row> rows, String loadBefore, String loadAfter, double secondsPerFigure) {
    }

    public static Result run(double seconds, int rounds, List<Integer> batchRows) throws Exception {
        String before = load();
        EnvRegistry envs = EnvRegistry.defaults();
        EnvSpec spec = envs.spec("GoToObject-v0");
        PipelineSettings settings = PipelineSettings.fromConfig(ConfigFactory.load());
        Map<String, ModelConfig> models = new LinkedHashMap<>();
        models.put("gotoobject-4-blocks", GOTO);
        models.put("large-6x256", LARGE);
        List<Row> out = new ArrayList<>();
        try (LoopbackCluster cluster = LoopbackCluster.start("troupe-pipeline-bench", List.of(List.of("serve"),
                List.of("serve"), List.of("serve"), List.of("serve")), ConfigFactory.empty());
             Env env = envs.make(spec.id())) {
            for (Map.Entry<String, ModelConfig> m : models.entrySet()) {
                try (PolicyModel whole = PolicyModel.create(spec, m.getValue(), 1, Device.cpu())) {
                    PolicyWeights weights = whole.weights(1);
                    List<Policy> setups = new ArrayList<>(List.of(whole));
                    for (int k = 2; k <= 3; k++) {
                        setups.add(startStages(cluster, spec, m.getValue(), weights, k, settings.withStages(k)));
                    }
                    long hop = (long) tokens(spec, m.getValue()) * m.getValue().embedding() * Float.BYTES;
                    for (int rows : batchRows) {
                        ObservationBatch obs = ObservationBatch.forSpace(spec.observationSpace(), rows);
                        for (int r = 0; r < rows; r++) {
                            obs.write(r, env.reset(r));
                        }
                        List<List<Long>> latencies = new ArrayList<>();
                        for (Policy p : setups) {
                            latencies.add(new ArrayList<>());
                            for (int w = 0; w < 5; w++) {
                                p.evaluate(obs); // warm-up: native code, the route, Artery's connections
                            }
                        }
                        for (int round = 0; round < rounds; round++) {
                            for (int s = 0; s < setups.size(); s++) {
                                measure(setups.get(s), obs, seconds / rounds, latencies.get(s));
                            }
                        }
                        double oneNode = percentile(latencies.get(0), 0.5);
                        for (int s = 0; s < setups.size(); s++) {
                            List<Long> l = latencies.get(s);
                            double total = l.stream().mapToLong(Long::longValue).sum() / 1e9;
                            double p50 = percentile(l, 0.5);
                            out.add(new Row(m.getKey(), whole.parameterCount(), rows, s + 1, s == 0 ? 0 : hop * rows,
                                    p50 / 1e6, percentile(l, 0.99) / 1e6, l.size() / total, p50 / oneNode));
                        }
                    }
                }
            }
        }
        return new Result(out, before, load(), seconds);
    }

    /** Starts stage s of {@code k} on node s + 1 and returns a replica on node 0 once it sees all of them. */
    private static Policy startStages(LoopbackCluster cluster, EnvSpec spec, ModelConfig model, PolicyWeights weights,
                                      int k, PipelineSettings settings) {
        for (int s = 0; s < k; s++) {
            cluster.node(s + 1).systemActorOf(StageActor.create(spec, model, s, k, weights, settings),
                    "bench-stage-" + model.embedding() + "-" + s + "-of-" + k, PipelineSettings.dispatcher());
        }
        ActorSystem<Void> front = cluster.node(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                StagedPolicy.findStages(front, weights.modelId(), weights.version(), settings);
                return new StagedPolicy(front, weights.modelId(), weights.version(), settings);
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // registrations spread by gossip
            }
        }
    }

    private static int tokens(EnvSpec spec, ModelConfig model) {
        try (PolicyStage last = PolicyStage.create(spec, model, 1, 2, Device.cpu())) {
            return last.tokens();
        }
    }

    private static void measure(Policy p, ObservationBatch obs, double seconds, List<Long> into) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long t0 = System.nanoTime();
            p.evaluate(obs);
            into.add(System.nanoTime() - t0);
        } while (System.nanoTime() < end);
    }

    private static double percentile(List<Long> values, double q) {
        long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static void print(Result r, PrintStream out) {
        out.printf("%-20s %11s %5s %7s %10s %9s %9s %10s %10s%n", "model", "parameters", "rows", "stages",
                "hop bytes", "p50 ms", "p99 ms", "req/s", "p50 vs 1");
        for (Row row : r.rows()) {
            out.printf("%-20s %,11d %5d %7s %,10d %9.2f %9.2f %,10.1f %10.2f%n", row.model(), row.parameters(),
                    row.rows(), row.stages() == 1 ? "1 node" : row.stages() + " nodes", row.hopBytes(), row.p50Ms(),
                    row.p99Ms(), row.requestsPerS(), row.vsOneNode());
        }
        out.printf("(one client thread, %.1f s per figure in turns; stages on other loopback nodes in this JVM; load "
                + "average before %s, after %s)%n", r.secondsPerFigure(), r.loadBefore(), r.loadAfter());
    }
}
