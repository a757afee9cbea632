package io.troupe.cluster.cli;

import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.space.Space;
import io.troupe.edge.OnnxPolicy;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code troupe eval --checkpoint DIR}: the greedy policy of a run's checkpoint, on the env and model of the run's
 * {@code config.conf}; {@code troupe eval --model policy.onnx}: an exported policy with ONNX Runtime (no DJL model).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run the greedy policy of a checkpoint or an exported model and print mean return, success rate "
                + "and episode length.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "a run directory (runs/<run-id>), its checkpoints/ folder, or a checkpoint folder")
    Path checkpoint;

    @Option(names = "--model", paramLabel = "FILE",
            description = "an exported policy.onnx (with its policy.json beside it), run with ONNX Runtime, no DJL")
    Path model;

    @Option(names = "--episodes", defaultValue = "100", description = "episodes to run (default 100)")
    int episodes;

    @Option(names = "--seed", defaultValue = "12345", description = "evaluation seed (default 12345)")
    long seed;

    @Override
    public Integer call() throws IOException {
        if (episodes < 1) {
            throw new IllegalArgumentException("--episodes must be >= 1, got " + episodes);
        }
        if ((checkpoint == null) == (model == null)) {
            throw new IllegalArgumentException("eval needs exactly one of --checkpoint DIR (a run) or --model FILE"
                    + " (an exported policy.onnx)");
        }
        if (model != null) {
            return evalModel();
        }
        RunCheckpoint run = RunCheckpoint.open(checkpoint);
        TrainSettings settings = TrainSettings.fromConfig(run.config());
        EnvRegistry registry = EnvRegistry.fromConfig(run.config());
        try (PolicyModel model = run.newModel(Devices.select(run.config().getString("troupe.learner.device")))) {
            Evaluation.Result r = Evaluation.run(registry, settings.env(), settings.envOverrides(), model, episodes,
                    Math.min(episodes, 16), seed);
            System.out.printf("%s, greedy policy of %s, %d episodes: mean return %.2f, success rate %s, "
                    + "mean episode length %.1f%n", settings.env(), run.checkpointDir(), r.episodes(), r.meanReturn(),
                    run.spec().definesSuccess() ? String.format("%.2f", r.successRate()) : "n/a", r.meanLength());
        }
        return 0;
    }

    /** {@code --model}: the exported policy on its contract's env with the env's defaults, ONNX Runtime only. */
    private Integer evalModel() {
        try (OnnxPolicy policy = OnnxPolicy.load(model)) {
            PolicyContract contract = policy.contract();
            EnvRegistry registry = EnvRegistry.defaults();
            Space envSpace = registry.spec(contract.envId()).observationSpace();
            if (!envSpace.equals(contract.observation())) {
                throw new IllegalArgumentException("model " + model + " observes " + contract.observation().describe()
                        + " but " + contract.envId() + " with its default settings gives " + envSpace.describe()
                        + "; evaluate the run with --checkpoint instead");
            }
            Evaluation.Result r = Evaluation.run(registry, contract.envId(), ConfigFactory.empty(), policy, episodes,
                    Math.min(episodes, 16), seed);
            boolean success = registry.spec(contract.envId()).definesSuccess();
            System.out.printf("%s, greedy policy of %s (ONNX Runtime, policy version %d), %d episodes: mean return"
                    + " %.2f, success rate %s, mean episode length %.1f%n", contract.envId(), model,
                    contract.policyVersion(), r.episodes(), r.meanReturn(),
                    success ? String.format("%.2f", r.successRate()) : "n/a", r.meanLength());
        }
        return 0;
    }
}
