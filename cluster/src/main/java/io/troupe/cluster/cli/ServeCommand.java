package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.util.BindCheck;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelKind;
import io.troupe.serving.PolicyService;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.CheckpointSource;
import io.troupe.serving.model.OnnxSource;
import io.troupe.serving.model.PolicySource;
import io.troupe.serving.pipeline.PipelineSettings;
import io.troupe.serving.pipeline.StageActor;
import io.troupe.serving.pipeline.StagedSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code troupe serve --checkpoint RUN_DIR [--model policy.onnx] [--name NAME] [--port 8080] [--host 127.0.0.1]}:
 * serves trained policies over REST with dynamic batching ({@link PolicyService}) until SIGTERM. Each
 * {@code --checkpoint} (DJL) or {@code --model} (ONNX Runtime) is one policy; the n-th {@code --name} names the n-th
 * (checkpoints first; default: the env id in lower case). With {@code troupe.serving.pipeline.stages = K > 1} each
 * checkpoint is served by K stage nodes of a cluster, each started with {@code --stage k}: this node holds none of the
 * parameters and answers from the stages (README "Model parallelism").
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve trained policies over HTTP (REST, JSON) with dynamic batching until stopped.",
            "API: GET /v1/policies, POST /v1/policies/{name}/act, /act-batch; docs at /v1/docs, metrics at /metrics.",
            "Batching: troupe.serving.max-batch-size, max-batch-delay, workers, job-queue-size (key=value)."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "a run directory (runs/<run-id>), its checkpoints/ folder or a checkpoint folder (DJL); "
                    + "repeat to serve several policies")
    List<Path> checkpoints = new ArrayList<>();

    @Option(names = "--model", paramLabel = "FILE", description = "an exported policy.onnx (policy.json beside it; "
            + "ONNX Runtime); repeatable")
    List<Path> models = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "the policy's name in the URL, one per policy in "
            + "order (the --checkpoints, then the --models; default: the env id in lower case, e.g. cartpole-v1)")
    List<String> names = new ArrayList<>();

    @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default troupe.serving.port, 8080; 0: "
            + "any free port)")
    Integer port;

    @Option(names = "--host", paramLabel = "HOST", description = "address to bind (default troupe.serving.hostname, "
            + "127.0.0.1)")
    String host;

    @Option(names = "--stage", paramLabel = "K", description = "hold pipeline stage K (0-based) of "
            + "troupe.serving.pipeline.stages of each --checkpoint on this node and serve no HTTP; the serving node "
            + "(the same command without --stage) finds the stages in the cluster (pekko.actor.provider = cluster, "
            + "pekko.cluster.seed-nodes)")
    Integer stage;

    @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.serving.max-batch-size=32")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        int policies = checkpoints.size() + models.size();
        if (policies == 0) {
            throw new IllegalArgumentException("nothing to serve: give --checkpoint RUN_DIR or --model policy.onnx");
        }
        if (names.size() > policies) {
            throw new IllegalArgumentException("--name given " + names.size() + " times for " + policies
                    + " policies; give at most one name per --checkpoint or --model");
        }
        Devices.preloadEngine();
        Config config = configOptions.load(null, overrides, ConfigFactory.empty(), ConfigFactory.empty());
        PipelineSettings pipeline = PipelineSettings.fromConfig(config);
        if (pipeline.stages() > 1 && !"cluster".equals(config.getString("pekko.actor.provider"))) {
            throw new IllegalArgumentException("troupe.serving.pipeline.stages = " + pipeline.stages() + " spreads "
                    + "each policy over the nodes of a cluster: set pekko.actor.provider = cluster, "
                    + "pekko.cluster.seed-nodes and pekko.remote.artery.canonical.port on every node");
        }
        if (stage != null) {
            return holdStage(config, pipeline);
        }
        ServingSettings settings = ServingSettings.fromConfig(config, System.getenv());
        settings = settings.withAddress(host != null ? host : settings.hostname(), port != null ? port
                : settings.port());
        BindCheck.requireBindable("serving", settings.hostname(), settings.port(), "--host, --port; "
                + "troupe.serving.hostname, troupe.serving.port; port 0 picks a free one");
        ServingSettings serving = settings;
        Map<String, PolicySource> sources = new LinkedHashMap<>();
        try (PolicyService service = PolicyService.start(config, settings, system -> {
            for (int i = 0; i < policies; i++) {
                Path where = i < checkpoints.size() ? checkpoints.get(i) : models.get(i - checkpoints.size());
                PolicySource source = i >= checkpoints.size() ? OnnxSource.open(where) : pipeline.stages() > 1
                        ? StagedSource.of(system, RunCheckpoint.open(where), pipeline).awaitStages()
                        : serving.backend().apply(CheckpointSource.open(where));
                String name = i < names.size() ? names.get(i) : source.spec().id().toLowerCase(Locale.ROOT);
                if (sources.containsKey(name)) {
                    throw new IllegalArgumentException("two policies would be served as '" + name + "' (" + where
                            + " and an earlier one); give each a --name");
                }
                sources.put(name, source);
            }
            return sources;
        })) {
            String url = service.server().url();
            for (Map.Entry<String, PolicySource> e : sources.entrySet()) {
                PolicySource s = e.getValue();
                System.out.printf("troupe serve: %s/v1/policies/%s: %s %s, %,d parameters, policy version %d, "
                        + "from %s%n",
                        url, e.getKey(), s.spec().id(), s.modelKind(), s.parameters(), s.version(), s.location());
            }
            System.out.printf("troupe serve: ready on %s (docs %s/v1/docs, metrics %s/metrics); batching %s%n", url,
                    url, url, settings.batcher());
            System.out.flush();
            service.awaitTermination();
        }
        return 0;
    }

    /** {@code --stage K}: stage K of every checkpoint, on this node, until SIGTERM. */
    private int holdStage(Config config, PipelineSettings pipeline) throws InterruptedException {
        if (pipeline.stages() < 2 || stage < 0 || stage >= pipeline.stages()) {
            throw new IllegalArgumentException("--stage " + stage + " needs troupe.serving.pipeline.stages >= 2 and "
                    + "a stage in 0..stages - 1, got stages = " + pipeline.stages());
        }
        if (!models.isEmpty() || checkpoints.isEmpty()) {
            throw new IllegalArgumentException("--stage splits the transformers of --checkpoint runs; an exported "
                    + "--model is served whole");
        }
        List<RunCheckpoint> runs = checkpoints.stream().map(RunCheckpoint::open).toList();
        for (RunCheckpoint run : runs) {
            if (run.model().kind() != ModelKind.TRANSFORMER || run.model().layers() < pipeline.stages()) {
                throw new IllegalArgumentException("troupe.serving.pipeline.stages = " + pipeline.stages() + " splits "
                        + "a transformer's blocks; " + run.checkpointDir() + " holds " + run.model().describe());
            }
        }
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "troupe-serve", config);
        for (int i = 0; i < runs.size(); i++) {
            RunCheckpoint run = runs.get(i);
            system.systemActorOf(StageActor.create(run, stage, pipeline), "troupe-pipeline-stage-" + i,
                    PipelineSettings.dispatcher());
            System.out.printf("troupe serve: stage %d of %d of %s (%s, policy version %d) on %s%n", stage,
                    pipeline.stages(), run.checkpointDir(), run.model().describe(), run.policyVersion(),
                    system.address());
        }
        System.out.flush();
        try {
            system.getWhenTerminated().toCompletableFuture().get();
        } catch (ExecutionException e) {
            // terminated all the same
        }
        return 0;
    }
}
