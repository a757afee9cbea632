package io.troupe.cluster.cli;

import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code troupe eval --checkpoint DIR}: the greedy policy of a run's checkpoint (what a service answers with) and its
 * sampled policy (how agents act while training), one line each, on the env and model of the run's {@code config.conf}.
 * Both play the same episodes (envs reset from {@code --seed}); the sampled one draws its actions from a stream seeded
 * with {@code --seed} too, so both lines repeat from run to run.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run the greedy and the sampled policy of a checkpoint and print, for each, mean return, success "
                + "rate and episode length.")
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
        RunCheckpoint run = RunCheckpoint.open(checkpoint);
        TrainSettings settings = TrainSettings.fromConfig(run.config());
        EnvRegistry registry = EnvRegistry.fromConfig(run.config());
        try (PolicyModel model = run.newModel(Devices.select(run.config().getString("troupe.learner.device")))) {
            for (Evaluation.Mode mode : Evaluation.Mode.values()) {
                Evaluation.Result r = Evaluation.run(registry, settings.env(), settings.envOverrides(), model,
                        episodes, Math.min(episodes, 16), seed, mode);
                System.out.println(line(settings.env(), mode, run.checkpointDir(), r, run.spec().definesSuccess(),
                        seed));
            }
        }
        return 0;
    }

    /**
     * One mode's figures, e.g. {@code GoToObject-v0, greedy policy of runs/x/checkpoints/latest, 200 episodes: mean
     * return 0.84, success rate 0.93, mean episode length 9.1}; the sampled line names its action seed.
     */
    static String line(String env, Evaluation.Mode mode, Path checkpointDir, Evaluation.Result r,
                       boolean definesSuccess, long seed) {
        return String.format(Locale.ROOT, "%s, %s policy of %s%s, %d episodes: mean return %.2f, success rate %s, "
                        + "mean episode length %.1f", env, mode.label(), checkpointDir,
                mode == Evaluation.Mode.SAMPLED ? " (actions drawn from softmax(logits), seed " + seed + ")" : "",
                r.episodes(), r.meanReturn(),
                definesSuccess ? String.format(Locale.ROOT, "%.2f", r.successRate()) : "n/a", r.meanLength());
    }
}
