package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.EnvSpec;
import io.troupe.edge.OnnxPolicy;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.ExportedEnv;
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
 * sampled policy (how agents act while training), one line each, on the env and model of the run's {@code config.conf};
 * {@code troupe eval --model policy.onnx}: the same for an exported policy with ONNX Runtime (no DJL model). Both
 * modes play the same episodes (envs reset from {@code --seed}); the sampled one draws its actions from a stream seeded
 * with {@code --seed} too, so both lines repeat from run to run.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Run the greedy and the sampled policy of a checkpoint or an exported model and print, for each, "
                + "mean return, success rate and episode length.")
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
            for (Evaluation.Mode mode : Evaluation.Mode.values()) {
                Evaluation.Result r = Evaluation.run(registry, settings.env(), settings.envOverrides(), model,
                        episodes, Math.min(episodes, 16), seed, mode);
                System.out.println(line(settings.env(), mode, run.checkpointDir().toString(), r,
                        run.spec().definesSuccess(), seed));
            }
        }
        return 0;
    }

    /**
     * {@code --model}: the exported policy on its contract's env, made with the settings the contract carries (its
     * run's; the env's defaults for a contract without them), ONNX Runtime only.
     */
    private Integer evalModel() {
        try (OnnxPolicy policy = OnnxPolicy.load(model)) {
            PolicyContract contract = policy.contract();
            EnvRegistry registry = EnvRegistry.defaults();
            Config overrides = ExportedEnv.overrides(contract);
            EnvSpec envSpec;
            try (Env env = registry.make(contract.envId(), overrides)) {
                envSpec = env.spec();
            }
            if (!envSpec.observationSpace().equals(contract.observation())) {
                throw new IllegalArgumentException("model " + model + " observes " + contract.observation().describe()
                        + " but " + contract.envId() + " with " + (contract.envSettings() == null ? "its default "
                        + "settings" : "the contract's settings " + contract.envSettings()) + " gives "
                        + envSpec.observationSpace().describe() + "; evaluate the run with --checkpoint instead");
            }
            boolean success = envSpec.definesSuccess();
            String what = model + " (ONNX Runtime, policy version " + contract.policyVersion() + ")";
            for (Evaluation.Mode mode : Evaluation.Mode.values()) {
                Evaluation.Result r = Evaluation.run(registry, contract.envId(), overrides, policy,
                        episodes, Math.min(episodes, 16), seed, mode);
                System.out.println(line(contract.envId(), mode, what, r, success, seed));
            }
        }
        return 0;
    }

    /**
     * One mode's figures, e.g. {@code GoToObject-v0, greedy policy of runs/x/checkpoints/latest, 200 episodes: mean
     * return 0.84, success rate 0.93, mean episode length 9.1}; the sampled line names its action seed.
     */
    static String line(String env, Evaluation.Mode mode, String policy, Evaluation.Result r,
                       boolean definesSuccess, long seed) {
        return String.format(Locale.ROOT, "%s, %s policy of %s%s, %d episodes: mean return %.2f, success rate %s, "
                        + "mean episode length %.1f", env, mode.label(), policy,
                mode == Evaluation.Mode.SAMPLED ? " (actions drawn from softmax(logits), seed " + seed + ")" : "",
                r.episodes(), r.meanReturn(),
                definesSuccess ? String.format(Locale.ROOT, "%.2f", r.successRate()) : "n/a", r.meanLength());
    }
}
