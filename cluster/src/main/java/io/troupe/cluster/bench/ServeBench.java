package io.troupe.cluster.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.batch.BatcherSettings;
import io.troupe.serving.http.ServingRoutes;
import io.troupe.serving.http.ServingServer;
import io.troupe.serving.metrics.PolicyMetrics;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.ModelSource;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.PolicySource;
import io.troupe.serving.model.ServedPolicy;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.HandlerProvider;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * {@code troupe bench serve}: the policy service and its client in one JVM on loopback, C keep-alive HTTP/1.1
 * connections (closed-loop client: {@link EventLoopClient}, one event-loop thread as wrk, or {@link LoadClient}, a
 * thread per connection over plain sockets; {@link Client}). Per model (the CartPole MLP and the
 * GoToObject transformer of the default jobs, untrained: speed does not depend on the weights), with the same
 * observation as payload: the ceiling (a no-op route that reads the same body and answers a fixed act answer),
 * closed-loop requests/s with dynamic batching (at the configured {@code max-batch-delay} and at 1 ms, or 0 when the
 * configured one is not 0) and with
 * {@code max-batch-size = 1}, the mean batch size, and p50/p99 latency at an open-loop rate of half the best
 * closed-loop rate: once with {@link EventLoopClient} (one event-loop thread over the same C connections, as wrk2
 * measures; the target's figure) and once with {@link LoadClient}'s thread per connection, whose C parked threads
 * wake on the same 2 cores as the server and add their scheduling delay to what is measured.
 */
public final class ServeBench {
    /** The envs whose policies the bench serves, in the table's column order. */
    public static final List<String> BENCH_ENVS = List.of("CartPole-v1", "GoToObject-v0");

    /**
     * The model served for {@code envId} (one of {@link #BENCH_ENVS}): the default jobs' CartPole MLP and GoToObject
     * transformer; also what {@code scripts/ServeWithWrk.java} serves.
     */
    public static ModelConfig benchModel(String envId) {
        return switch (envId) {
            case "CartPole-v1" -> ModelConfig.mlp(64, 64);
            case "GoToObject-v0" -> ModelConfig.transformer(32, 4, 1, 64, 6, 1);
            default -> throw new IllegalArgumentException("the serve bench serves " + BENCH_ENVS + ", not '" + envId
                    + "'");
        };
    }

    public static final double BATCHING_GAIN_TARGET = 3.0;
    public static final double CEILING_TARGET_MLP = 0.8;
    public static final double CEILING_TARGET_TRANSFORMER = 0.5;
    public static final double P99_TARGET_MS = 10;

    /** The closed-loop client. */
    public enum Client {
        /** {@link EventLoopClient}: one thread, non-blocking connections (as wrk). */
        EVENT_LOOP("event-loop client (EventLoopClient: one thread over non-blocking connections, as wrk)"),
        /** {@link LoadClient}: one thread per connection, blocking sockets. */
        THREADS("thread-per-connection client (LoadClient: blocking sockets)");

        private final String description;

        Client(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }

        LoadClient.Run closed(int port, String route, String body, int connections, double warmupS, double seconds) {
            return this == EVENT_LOOP
                    ? new EventLoopClient("127.0.0.1", port, route, body).closed(connections, warmupS, seconds)
                    : new LoadClient("127.0.0.1", port, route, body).closed(connections, warmupS, seconds);
        }
    }

    /**
     * One model's figures. The CPU figures are the server's microseconds of CPU per answered request (the process's
     * CPU time less the client thread's; NaN with the thread-per-connection client); the model's are one replica's
     * forward pass alone, per observation, at batch 1 and at {@code max-batch-size}, on an idle server.
     */
    public record ModelFigures(String env, String model, long parameters, int connections, double ceilingRps,
                               double dynamicRps, double otherDelayRps, double singleRps, double meanBatch,
                               double meanBatchOtherDelay, double openLoopRate, double p50Ms, double p99Ms,
                               double p50ThreadsMs, double p99ThreadsMs, long refused, long failed,
                               double ceilingCpuUs, double dynamicCpuUs, double singleCpuUs,
                               double dynamicWorkerUs, double singleWorkerUs, double modelRowUs1,
                               double modelRowUsMax, double warmUpS) {
        public double batchingGain() {
            return dynamicRps / singleRps;
        }

        /**
         * What batching gains in the model alone: end to end, dynamic batching comes near it only where the model
         * dominates a request's cost (not a strict bound: a request served alone also pays its worker's wake-up).
         */
        public double modelBatchingGain() {
            return modelRowUs1 / modelRowUsMax;
        }

        public double servedOverCeiling() {
            return dynamicRps / ceilingRps;
        }

        /**
         * The no-op route's rate over {@code max-batch-size} 1's: what dynamic batching would gain if its route cost
         * no more than the no-op one, with a free model. Served requests cannot outrun the route that does nothing
         * with them, so {@link #batchingGain} stays below this.
         */
        public double ceilingOverSingle() {
            return ceilingRps / singleRps;
        }
    }

    /** The run: the client, the configured delay and the other one compared, the backend, every model's figures. */
    public record Result(String client, String defaultDelay, String otherDelay, int maxBatchSize, int workers,
                         String backend, List<ModelFigures> models) {
    }

    private ServeBench() {
    }

    /**
     * The no-op route in front of the service's handler, as act's direct path is ({@link ServingRoutes#handler}): reads
     * the whole body as that path does and answers a fixed act answer, without the routing DSL either, so that the
     * ceiling costs no more than the served route's own way through Pekko HTTP.
     */
    private static HandlerProvider withNoop(HandlerProvider service) {
        HttpResponse answer = HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON,
                "{\"action\":0,\"policyVersion\":0}");
        return system -> {
            org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> served =
                    service.handler(system);
            return request -> request.method().equals(HttpMethods.POST) && request.getUri().path().equals("/noop")
                    ? request.entity().toStrict(30_000, system).thenApply(body -> answer)
                    : served.apply(request);
        };
    }

    /**
     * Runs the bench with {@code client} for the closed-loop figures and the server settings of {@code root}; each
     * model's routes warm up together for at least as long as their measurements, then until the JIT is quiet, at
     * most {@code maxWarmUp} seconds ({@link JitWarmUp}).
     */
    public static Result run(Config root, Client client, int connections, double seconds, double maxWarmUp)
            throws Exception {
        Config config = ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(root);
        ServingSettings settings = ServingSettings.fromConfig(config, Map.of()).withAddress("127.0.0.1", 0);
        BatcherSettings dynamic = settings.batcher();
        EnvRegistry envs = EnvRegistry.defaults();
        List<ModelFigures> figures = new ArrayList<>();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "troupe-bench-serve", config);
        try {
            for (String envId : BENCH_ENVS) {
                figures.add(model(system, settings, envs.spec(envId), benchModel(envId), envs, client, connections,
                        seconds, maxWarmUp));
            }
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        return new Result("closed loop: " + client.description() + "; open-loop latency with EventLoopClient and "
                + "with LoadClient; " + connections + " keep-alive HTTP/1.1 connections",
                dynamic.maxBatchDelay().toMillis() + " ms", otherDelay(dynamic).toMillis() + " ms",
                dynamic.maxBatchSize(), dynamic.workers(), settings.backend().label(), figures);
    }

    /** The delay compared with the configured one: 1 ms when it is 0, else 0. */
    private static Duration otherDelay(BatcherSettings s) {
        return s.maxBatchDelay().isZero() ? Duration.ofMillis(1) : Duration.ZERO;
    }

    private static ModelFigures model(ActorSystem<Void> system, ServingSettings settings, EnvSpec spec,
                                      ModelConfig model, EnvRegistry envs, Client client, int connections,
                                      double seconds, double maxWarmUp)
            throws Exception {
        ServingMetrics metrics = new ServingMetrics();
        PolicySource source = settings.backend().apply(new ModelSource(spec, model, 7));
        BatcherSettings dynamic = settings.batcher();
        try (PolicyRegistry registry = new PolicyRegistry()) {
            registry.add(ServedPolicy.start("dynamic", source, dynamic, metrics));
            registry.add(ServedPolicy.start("other-delay", source, dynamic.withMaxBatchDelay(otherDelay(dynamic)),
                    metrics));
            registry.add(ServedPolicy.start("single", source, dynamic.withMaxBatchSize(1), metrics));
            ServingRoutes routes = new ServingRoutes(settings, registry, metrics,
                    (name, path) -> CompletableFuture.failedFuture(new IllegalStateException("no loading here")),
                    system.executionContext());
            ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0)
                    .adaptSettings(ServingServer::portSettings).bind(withNoop(routes.handler()))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            try {
                int port = binding.localAddress().getPort();
                String body;
                try (Env env = envs.make(spec.id())) {
                    ObjectNode obs = ObservationJson.write(env.reset(1), spec.observationSpace());
                    body = "{\"observation\": " + obs + "}";
                }
                double warmup = Math.max(1, seconds / 3);
                // every route, in turn, for at least as long as their measurements, then until the JIT is quiet: the
                // served routes' code (Pekko HTTP's stages, the batcher's hand-offs) compiles for far longer than the
                // no-op route's, and a fixed warm-up measured them partly compiled against a compiled ceiling
                List<String> warmed = List.of("/noop", "/v1/policies/dynamic/act", "/v1/policies/other-delay/act",
                        "/v1/policies/single/act");
                double warmUpS = JitWarmUp.run(window -> {
                    for (String route : warmed) {
                        client.closed(port, route, body, connections, 0, window / warmed.size());
                    }
                    return window;
                }, warmed.size() * Math.max(warmup, seconds), maxWarmUp);
                double[] rowUs = modelAlone(source, spec, envs, dynamic.maxBatchSize(), seconds);
                LoadClient.Run ceiling = client.closed(port, "/noop", body, connections, warmup,
                        seconds);
                WorkerWindow dynWindow = new WorkerWindow("dynamic", registry.get("dynamic").metrics(), warmup,
                        seconds);
                LoadClient.Run dyn = client.closed(port, "/v1/policies/dynamic/act", body, connections, warmup,
                        seconds);
                WorkerWindow otherWindow = new WorkerWindow("other-delay", registry.get("other-delay").metrics(),
                        warmup, seconds);
                LoadClient.Run otherDelay = client.closed(port, "/v1/policies/other-delay/act", body, connections,
                        warmup, seconds);
                WorkerWindow singleWindow = new WorkerWindow("single", registry.get("single").metrics(), warmup,
                        seconds);
                LoadClient.Run single = client.closed(port, "/v1/policies/single/act", body, connections, warmup,
                        seconds);
                double dynWorkerUs = dynWindow.microsPerRow();
                double meanBatch = dynWindow.meanBatch();
                double meanOtherDelay = otherWindow.meanBatch();
                double singleWorkerUs = singleWindow.microsPerRow();
                double best = Math.max(dyn.perSecond(), otherDelay.perSecond());
                double rate = best / 2;
                LoadClient.Run open = new EventLoopClient("127.0.0.1", port, "/v1/policies/dynamic/act", body)
                        .run(connections, rate, warmup, seconds);
                LoadClient.Run openThreads = new LoadClient("127.0.0.1", port, "/v1/policies/dynamic/act", body)
                        .open(connections, rate, warmup, seconds);
                return new ModelFigures(spec.id(), model.describe(), source.parameters(), connections,
                        ceiling.perSecond(), dyn.perSecond(), otherDelay.perSecond(), single.perSecond(), meanBatch,
                        meanOtherDelay, rate, open.quantileMs(0.5), open.quantileMs(0.99),
                        openThreads.quantileMs(0.5), openThreads.quantileMs(0.99),
                        dyn.refused() + otherDelay.refused() + single.refused() + open.refused()
                                + openThreads.refused(),
                        dyn.failed() + otherDelay.failed() + single.failed() + open.failed() + openThreads.failed()
                                + ceiling.failed(), ceiling.serverCpuMicrosPerRequest(),
                        dyn.serverCpuMicrosPerRequest(), single.serverCpuMicrosPerRequest(), dynWorkerUs,
                        singleWorkerUs, rowUs[0], rowUs[1],
                        warmUpS);
            } finally {
                binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(20, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A served policy's model workers ({@code troupe-serve-NAME-worker-*}: its forward passes, the batch's assembly and
     * handing the answers on) read when a client run's measured window opens and when it closes, so that their figures
     * leave the run's warm-up out as its requests/s and server CPU do: the workers' CPU time per observation they ran
     * (the model's part of a request's CPU, beside the model timed alone) and the mean batch. Made right before the
     * client run starts; a thread of its own takes the two readings at the window's times counted from then.
     */
    private static final class WorkerWindow {
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final long[] ids;
        private final PolicyMetrics metrics;
        private final Thread reader;
        private volatile double[] opened;
        private volatile double[] closed;

        WorkerWindow(String policy, PolicyMetrics metrics, double warmupS, double seconds) {
            String prefix = "troupe-serve-" + policy + "-worker-";
            this.ids = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix))
                    .mapToLong(Thread::getId).toArray();
            this.metrics = metrics;
            long open = System.nanoTime() + (long) (warmupS * 1e9);
            long close = open + (long) (seconds * 1e9);
            this.reader = new Thread(() -> {
                opened = readAt(open);
                closed = readAt(close);
            }, "serve-bench-window-" + policy);
            reader.setDaemon(true);
            reader.start();
        }

        /** {worker CPU ns (-1 if unknown), observations run, batches run} once {@code when} has come. */
        private double[] readAt(long when) {
            for (long now = System.nanoTime(); now < when; now = System.nanoTime()) {
                LockSupport.parkNanos(when - now);
            }
            long cpu = 0;
            for (long id : ids) {
                long t = threads.getThreadCpuTime(id);
                cpu = t < 0 || cpu < 0 ? -1 : cpu + t;
            }
            long batches = metrics.batches();
            return new double[] {cpu, metrics.meanBatchRows() * batches, batches};
        }

        /** The readings' differences, {CPU ns, observations, batches}; null if the window has not closed. */
        private double[] window() {
            try {
                reader.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            double[] a = opened;
            double[] b = closed;
            return a == null || b == null ? null : new double[] {a[0] < 0 || b[0] < 0 ? -1 : b[0] - a[0], b[1] - a[1],
                b[2] - a[2]};
        }

        /** Microseconds of worker CPU per observation in the window; NaN without thread CPU time or observations. */
        double microsPerRow() {
            double[] w = window();
            return w == null || ids.length == 0 || w[0] < 0 || w[1] <= 0 ? Double.NaN : w[0] / 1e3 / w[1];
        }

        /** Observations per batch in the window; NaN without batches. */
        double meanBatch() {
            double[] w = window();
            return w == null || w[2] <= 0 ? Double.NaN : w[1] / w[2];
        }
    }

    /**
     * One replica's forward pass alone, microseconds per observation at batch 1 and at {@code maxBatch} (the same real
     * observation in every row), each timed for a third of {@code seconds} after as long unmeasured.
     */
    private static double[] modelAlone(PolicySource source, EnvSpec spec, EnvRegistry envs, int maxBatch,
                                       double seconds) {
        double[] perRow = new double[2];
        try (Policy replica = source.newReplica(); Env env = envs.make(spec.id())) {
            Observation obs = env.reset(1);
            int[] sizes = {1, maxBatch};
            for (int i = 0; i < sizes.length; i++) {
                ObservationBatch batch = ObservationBatch.forSpace(spec.observationSpace(), sizes[i]);
                for (int row = 0; row < sizes[i]; row++) {
                    batch.write(row, obs);
                }
                long budget = (long) (Math.max(0.2, seconds / 3) * 1e9);
                for (long until = System.nanoTime() + budget; System.nanoTime() < until; ) {
                    replica.evaluate(batch);
                }
                long calls = 0;
                long start = System.nanoTime();
                long until = start + budget;
                long now;
                do {
                    replica.evaluate(batch);
                    calls++;
                    now = System.nanoTime();
                } while (now < until);
                perRow[i] = (now - start) / 1e3 / calls / sizes[i];
            }
        }
        return perRow;
    }

    public static void print(Result r, PrintStream out) {
        out.println("client: " + r.client() + "; server: max-batch-size " + r.maxBatchSize() + ", default "
                + "max-batch-delay " + r.defaultDelay() + ", " + r.workers() + " worker(s), backend " + r.backend()
                + "; same JVM, loopback");
        ModelFigures a = r.models().get(0);
        ModelFigures b = r.models().get(1);
        out.printf("%-40s %18s %18s   %s%n", "figure", a.env(), b.env(), "target");
        row(out, "parameters", String.format("%,d", a.parameters()), String.format("%,d", b.parameters()), "");
        row(out, "warm-up, until the JIT is quiet (s)", String.format("%.1f", a.warmUpS()),
                String.format("%.1f", b.warmUpS()), "");
        row(out, "ceiling: no-op route (req/s)", rps(a.ceilingRps()), rps(b.ceilingRps()), "");
        row(out, "dynamic batching (req/s)", rps(a.dynamicRps()), rps(b.dynamicRps()), "");
        row(out, "dynamic, max-batch-delay " + r.otherDelay() + " (req/s)", rps(a.otherDelayRps()),
                rps(b.otherDelayRps()), "");
        row(out, "max-batch-size 1 (req/s)", rps(a.singleRps()), rps(b.singleRps()), "");
        row(out, "dynamic / max-batch-size 1", x(a.batchingGain()), x(b.batchingGain()),
                String.format(">= %.0fx (transformer)", BATCHING_GAIN_TARGET));
        row(out, "dynamic / ceiling", x(a.servedOverCeiling()), x(b.servedOverCeiling()),
                String.format(">= %.1f MLP, >= %.1f transformer", CEILING_TARGET_MLP, CEILING_TARGET_TRANSFORMER));
        row(out, "server CPU per request: no-op (us)", us(a.ceilingCpuUs()), us(b.ceilingCpuUs()), "");
        row(out, "server CPU per request: dynamic (us)", us(a.dynamicCpuUs()), us(b.dynamicCpuUs()), "");
        row(out, "server CPU per request: batch size 1 (us)", us(a.singleCpuUs()), us(b.singleCpuUs()), "");
        row(out, "worker CPU per obs: dynamic (us)", us(a.dynamicWorkerUs()), us(b.dynamicWorkerUs()), "");
        row(out, "worker CPU per obs: batch size 1 (us)", us(a.singleWorkerUs()), us(b.singleWorkerUs()), "");
        row(out, "model alone, batch 1 (us per obs)", us(a.modelRowUs1()), us(b.modelRowUs1()), "");
        row(out, "model alone, batch " + r.maxBatchSize() + " (us per obs)", us(a.modelRowUsMax()),
                us(b.modelRowUsMax()), "");
        row(out, "model alone: batch " + r.maxBatchSize() + " / batch 1 speed", x(a.modelBatchingGain()),
                x(b.modelBatchingGain()), "(what batching gains in the model)");
        row(out, "ceiling / max-batch-size 1", x(a.ceilingOverSingle()), x(b.ceilingOverSingle()),
                "(dynamic / max-batch-size 1 stays below)");
        row(out, "mean batch size (default delay)", String.format("%.1f", a.meanBatch()),
                String.format("%.1f", b.meanBatch()), "");
        row(out, "mean batch size (delay " + r.otherDelay() + ")", String.format("%.1f", a.meanBatchOtherDelay()),
                String.format("%.1f", b.meanBatchOtherDelay()), "");
        row(out, "open loop at half the max (req/s)", rps(a.openLoopRate()), rps(b.openLoopRate()), "");
        row(out, "p50 latency there (ms)", String.format("%.2f", a.p50Ms()), String.format("%.2f", b.p50Ms()), "");
        row(out, "p99 latency there (ms)", String.format("%.2f", a.p99Ms()), String.format("%.2f", b.p99Ms()),
                String.format("<= %.0f", P99_TARGET_MS));
        row(out, "p50 / p99, thread per connection (ms)", String.format("%.2f / %.2f", a.p50ThreadsMs(),
                a.p99ThreadsMs()), String.format("%.2f / %.2f", b.p50ThreadsMs(), b.p99ThreadsMs()), "");
        row(out, "503 answers / failed requests", a.refused() + " / " + a.failed(), b.refused() + " / " + b.failed(),
                "");
    }

    private static String rps(double v) {
        return String.format("%,.0f", v);
    }

    private static String us(double v) {
        return Double.isNaN(v) ? "n/a" : String.format("%.1f", v);
    }

    private static String x(double v) {
        return String.format("%.2fx", v);
    }

    private static void row(PrintStream out, String name, String a, String b, String target) {
        out.printf("%-40s %18s %18s   %s%n", name, a, b, target);
    }
}
