package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code troupe eval --checkpoint DIR}: the greedy policy of a run's checkpoint, on the env and model of the run's
 * {@code config.conf}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run the greedy policy of a checkpoint and print mean return, success rate and episode length.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "a run directory (runs/<run-id>), its checkpoints/ folder, or a checkpoint folder")
    Path checkpoint;

    @Option(names = "--episodes", defaultValue = "100", description = "episodes to run (default 100)")
    int episodes;

    @Option(names = "--seed", defaultValue = "12345", description = "evaluation seed (default 12345)")
    long seed;

    @Override
    public Integer call() throws IOException {
        if (episodes < 1) {
            throw new IllegalArgumentException("--episodes must be >= 1, got " + episodes);
        }
        Path weights = find(checkpoint);
        Path runDir = weights.getParent().getParent().getParent();
        Path conf = runDir.resolve("config.conf");
        if (!Files.isRegularFile(conf)) {
            throw new IllegalArgumentException("no config.conf next to the checkpoint (looked for " + conf
                    + "); evaluate a checkpoint inside a run directory");
        }
        Config config = JobConfig.load(conf, List.of());
        TrainSettings settings = TrainSettings.fromConfig(config);
        EnvRegistry registry = EnvRegistry.fromConfig(config);
        var spec = registry.make(settings.env(), settings.envOverrides()).spec();
        try (PolicyModel model = PolicyModel.create(spec, ModelConfig.fromConfig(config.getConfig("troupe.model")), 0,
                Devices.select(config.getString("troupe.learner.device")))) {
            model.load(new PolicyWeights(model.modelId(), 0, Files.readAllBytes(weights)));
            Evaluation.Result r = Evaluation.run(registry, settings.env(), settings.envOverrides(), model, episodes,
                    Math.min(episodes, 16), seed);
            System.out.printf("%s, greedy policy of %s, %d episodes: mean return %.2f, success rate %s, "
                    + "mean episode length %.1f%n", settings.env(), weights.getParent(), r.episodes(), r.meanReturn(),
                    spec.definesSuccess() ? String.format("%.2f", r.successRate()) : "n/a", r.meanLength());
        }
        return 0;
    }

    /** {@code weights.trpw} under a run directory, a checkpoints folder, or a checkpoint folder. */
    private static Path find(Path p) {
        for (Path candidate : List.of(p.resolve("weights.trpw"), p.resolve("latest/weights.trpw"),
                p.resolve("checkpoints/latest/weights.trpw"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalArgumentException("no checkpoint under " + p + ": expected weights.trpw in it, in latest/, or "
                + "in checkpoints/latest/");
    }
}
