package io.troupe.cluster.cli;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.cluster.compress.CompressReport;
import io.troupe.cluster.compress.DjlComparison;
import io.troupe.cluster.compress.PolicyComparison;
import io.troupe.cluster.compress.StagedFiles;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.RunSummary;
import io.troupe.cluster.run.TrainJob;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.ObservationBatch;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.prune.GradualPruning;
import io.troupe.learners.prune.MagnitudePruning;
import io.troupe.learners.prune.ParameterMask;
import io.troupe.learners.prune.StructuredPruning;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code troupe compress prune --checkpoint RUN_DIR --sparsity 0.8 [--structured heads,hidden,embedding]
 * --finetune-steps N}: global magnitude pruning (unstructured: the mask is kept through fine-tuning, the learner
 * re-applying it after every optimizer step) or structured pruning (whole hidden units, attention heads or channels of
 * the transformer's residual stream, by norm: a smaller dense model), then fine-tuning with the
 * run's own algorithm through the agents (the normal embedded training job, starting from the pruned weights) into a
 * new run directory beside the original, with {@code compress-report.json} in it.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Prune a run's policy (global magnitude, or whole hidden units, attention heads or embedding "
                + "channels), fine-tune it with the run's algorithm into a new run, and report.")
final class CompressPruneCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "a run directory (runs/<run-id>), its checkpoints/ folder, or a checkpoint folder")
    Path checkpoint;

    @Option(names = "--sparsity", required = true, paramLabel = "S",
            description = "the fraction to prune, in (0, 1): of the weight matrices' entries (unstructured), of "
                    + "the parameters (--structured heads and/or hidden), or, with --structured embedding, of the units "
                    + "of each kind named (channels; heads per block; hidden units per network), rounded; the report "
                    + "gives the parameter count")
    double sparsity;

    @Option(names = "--structured", split = ",", paramLabel = "KIND",
            description = "prune whole units instead of single weights: hidden (MLP hidden units, the "
                    + "transformer's feed-forward units), heads (the transformer's attention heads, by the norm of "
                    + "their value and output projections), heads,hidden (both, in proportion), or embedding (the "
                    + "transformer's troupe.model.embedding channels everywhere they appear: width pruning; "
                    + "combinable with heads and hidden)")
    List<String> structured;

    @Option(names = "--channel-ranking", defaultValue = "weights", paramLabel = "R",
            description = "--structured embedding: how the channels are ranked: weights (default; the norm of what "
                    + "writes each channel times that of what reads it) or activations (the mean absolute LayerNorm "
                    + "output of each channel over the observations of " + CALIBRATION_EPISODES + " greedy episodes "
                    + "of the original, as Minitron does)")
    String channelRanking;

    @Option(names = "--finetune-steps", required = true, paramLabel = "N",
            description = "env steps of fine-tuning with the run's own algorithm")
    long finetuneSteps;

    @Option(names = "--gradual-steps", paramLabel = "N",
            description = "unstructured: raise the sparsity from 0 over the first N env steps of fine-tuning "
                    + "(Zhu and Gupta's cubic schedule); default 0: prune at once, which recovers better on CartPole "
                    + "(README)")
    Long gradualSteps;

    @Option(names = "--ranking", defaultValue = "global", paramLabel = "R",
            description = "unstructured: how the pruned weights are shared among the weight matrices: global (one "
                    + "magnitude threshold over all of them; default) or layer (each matrix pruned to the sparsity by "
                    + "its own magnitudes, for a model whose layers' weights differ in scale, such as a transformer "
                    + "reading raw pixels: README)")
    String ranking;

    @Option(names = "--finetune-with", defaultValue = "run", paramLabel = "HOW",
            description = "run (default): fine-tune with the run's own algorithm and reward; distill: policy "
                    + "distillation from the original (the agents act with the pruned policy, the original labels "
                    + "each step, the pruned one minimizes the KL to it and the value error; troupe.distill)")
    String finetuneWith;

    @Option(names = "--finetune-lr-scale", defaultValue = "0.25", paramLabel = "X",
            description = "fine-tuning's learning rate as a fraction of the run's (troupe.ppo / troupe.impala / "
                    + "troupe.distill learning-rate; default ${DEFAULT-VALUE}: the run's full rate unsettles a policy "
                    + "that already works)")
    double finetuneLrScale;

    @Option(names = "--runs-dir", paramLabel = "DIR",
            description = "where the fine-tuned run goes (default: beside the original run)")
    Path runsDir;

    @Mixin
    CompressOptions eval;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        eval.validate();
        MagnitudePruning.checkSparsity(sparsity);
        Set<StructuredPruning.Kind> kinds = new LinkedHashSet<>();
        for (String k : structured == null ? List.<String>of() : structured) {
            kinds.add(StructuredPruning.Kind.parse(k));
        }
        if (!(finetuneLrScale > 0 && finetuneLrScale <= 1)) {
            throw new IllegalArgumentException("--finetune-lr-scale " + finetuneLrScale + " is outside (0, 1]");
        }
        if (finetuneSteps < 1) {
            throw new IllegalArgumentException("--finetune-steps " + finetuneSteps + ": expected >= 1 env step");
        }
        MagnitudePruning.Ranking rank = MagnitudePruning.Ranking.parse(ranking);
        if (rank != MagnitudePruning.Ranking.GLOBAL && !kinds.isEmpty()) {
            throw new IllegalArgumentException("--ranking " + ranking + ": applies to unstructured pruning only, not "
                    + "with --structured");
        }
        if (!channelRanking.equals("weights") && !channelRanking.equals("activations")) {
            throw new IllegalArgumentException("--channel-ranking " + channelRanking + ": expected weights or "
                    + "activations");
        }
        boolean byActivation = channelRanking.equals("activations");
        if (byActivation && !kinds.contains(StructuredPruning.Kind.EMBEDDING)) {
            throw new IllegalArgumentException("--channel-ranking activations: applies to --structured embedding "
                    + "only");
        }
        FineTuning tuning = FineTuning.parse(finetuneWith);
        long ramp = gradualSteps != null ? gradualSteps : 0;
        if (ramp < 0 || ramp > finetuneSteps || (ramp > 0 && !kinds.isEmpty())) {
            throw new IllegalArgumentException("--gradual-steps " + ramp + ": expected 0.." + finetuneSteps
                    + " (within --finetune-steps), and only without --structured");
        }
        GradualPruning schedule = ramp > 0 ? new GradualPruning(sparsity, ramp, rank) : null;
        RunCheckpoint run = RunCheckpoint.open(checkpoint);
        TrainSettings original = TrainSettings.fromConfig(run.config());
        if (original.algorithm() == Algorithm.RANDOM) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": a random-policy run has no weights "
                    + "to prune");
        }
        EnvRegistry registry = EnvRegistry.fromConfig(run.config());
        try (PolicyModel originalModel = run.newModel(Device.cpu())) {
            ObservationBatch calibration = byActivation ? calibration(registry, original, originalModel) : null;
            Pruned p = prune(run, originalModel, kinds, rank, original.seed(), schedule, calibration);
            ParameterMask mask = p.mask();
            ModelConfig prunedConfig = p.config();
            PolicyModel pruned = p.model();
            String label = p.label();
            Evaluation.Result beforeTuning = Evaluation.summarize(Evaluation.episodes(registry, original.env(),
                    original.envOverrides(), pruned, eval.evalEpisodes, Math.min(16, eval.evalEpisodes), eval.seed,
                    null));
            Path[] fineTuned = new Path[1];
            ParameterMask keep = mask;
            RunSummary summary;
            try (pruned) {
                Config byRun = fineTuneJob(run.config(), prunedConfig, finetuneSteps, finetuneLrScale,
                        runsDir != null ? runsDir : run.runDir().toAbsolutePath().getParent());
                Config job = tuning == FineTuning.DISTILL ? distillFromOriginal(byRun, run, finetuneLrScale) : byRun;
                LearnerCheckpoint.Counters zero = new LearnerCheckpoint.Counters(0, 0, 0);
                summary = new TrainJob(job).run(runPath -> {
                    fineTuned[0] = runPath;
                    Path dir = checkpointDir(job, runPath);
                    try (Adam adam = Adam.withDefaults(pruned.parameters(), pruned.manager())) {
                        LearnerCheckpoint.save(dir, pruned, adam, zero);
                    }
                    if (keep != null) {
                        keep.write(dir.resolve(ParameterMask.FILE));
                    }
                    if (schedule != null) {
                        schedule.write(dir.resolve(GradualPruning.FILE));
                    }
                }, new AtomicBoolean());
            }
            RunCheckpoint tuned = RunCheckpoint.open(fineTuned[0]);
            try (PolicyModel compressed = tuned.newModel(Device.cpu())) {
                List<CompressReport.Detail> details = new ArrayList<>();
                if (kinds.isEmpty()) {
                    long zeros = zeroWeights(compressed);
                    long covered = coveredWeights(compressed);
                    details.add(DjlComparison.detail("sparsity", "%,d of %,d weight-matrix entries (an MLP's input "
                                    + "layers and the output heads excepted) are zero (%.4f; asked %.4f); nonzero "
                                    + "parameters %,d of %,d; dense kernels: no speed-up expected", zeros, covered,
                            (double) zeros / covered, sparsity, compressed.parameterCount() - zeros,
                            compressed.parameterCount()));
                    details.add(new CompressReport.Detail("schedule", schedule == null ? "one-shot: pruned before "
                            + "fine-tuning, the mask kept after every optimizer step" : String.format(Locale.ROOT,
                            "gradual: cubic from 0 to %.2f over the first %,d env steps, the mask re-selected by "
                                    + "magnitude every %.2f and kept after every optimizer step", sparsity,
                            schedule.rampSteps(), GradualPruning.STEP)));
                    details.add(new CompressReport.Detail("ranking", rank.id() + ": " + zerosByMatrix(compressed)));
                } else {
                    details.add(DjlComparison.detail("structure", "%s -> %s (%,d -> %,d parameters, %.3f of the "
                                    + "original)", run.model().describe(), prunedConfig.describe(),
                            originalModel.parameterCount(), compressed.parameterCount(),
                            (double) compressed.parameterCount() / originalModel.parameterCount()));
                }
                details.add(DjlComparison.detail("before fine-tuning", "mean return %.2f over %d greedy episodes "
                        + "(same seed)", beforeTuning.meanReturn(), eval.evalEpisodes));
                details.add(DjlComparison.detail("fine-tuning", "%s at %.2f x the run's learning rate, %,d env "
                                + "steps in %.1f s (%s), run %s", tuning == FineTuning.DISTILL ? "distillation from "
                                + "the original" : original.algorithm(), finetuneLrScale,
                        summary.envSteps(), summary.wallS(), summary.stopReason(), fineTuned[0]));
                Path originalWeights = run.checkpointDir().resolve("weights.trpw");
                Path tunedWeights = tuned.checkpointDir().resolve("weights.trpw");
                CompressReport report = DjlComparison.compare("prune", registry, original.env(),
                        original.envOverrides(), run.checkpointDir().toString(),
                        new DjlComparison.Side("original", originalModel, originalWeights,
                                Files.size(originalWeights)),
                        new DjlComparison.Side(label, compressed, tunedWeights, Files.size(tunedWeights)),
                        eval.evalEpisodes, eval.seed, eval.latencySeconds, run.spec().definesSuccess(), start,
                        details);
                try (StagedFiles files = new StagedFiles()) {
                    report.stage(files, fineTuned[0]);
                    files.commit();
                }
                report.print(System.out);
                System.out.printf("wrote %s (try: ./troupe export --checkpoint %s --out pruned.onnx)%n",
                        fineTuned[0].resolve(CompressReport.FILE), fineTuned[0]);
            }
        }
        return 0;
    }

    /** A pruned model before fine-tuning: its shape, the mask it keeps (unstructured) and its label in the report. */
    private record Pruned(PolicyModel model, ModelConfig config, ParameterMask mask, String label) {
    }

    /** Greedy episodes of the original that width pruning's activations are measured on. */
    static final int CALIBRATION_EPISODES = 20;
    /** At most this many of their observations (the first steps of every episode, as the env copies run them). */
    static final int CALIBRATION_ROWS = 1024;

    /** Observations of {@link #CALIBRATION_EPISODES} greedy episodes of the original in its own env. */
    private ObservationBatch calibration(EnvRegistry registry, TrainSettings original, PolicyModel originalModel) {
        List<ObservationBatch> seen = new ArrayList<>();
        Evaluation.episodes(registry, original.env(), original.envOverrides(), originalModel, CALIBRATION_EPISODES,
                8, eval.seed + 1_000_003L, (batch, e) -> seen.add(PolicyComparison.firstRows(List.of(batch),
                        batch.rows())));
        int rows = Math.min(CALIBRATION_ROWS, seen.stream().mapToInt(ObservationBatch::rows).sum());
        return PolicyComparison.firstRows(seen, rows);
    }

    private Pruned prune(RunCheckpoint run, PolicyModel originalModel, Set<StructuredPruning.Kind> kinds,
                         MagnitudePruning.Ranking rank, long seed, GradualPruning schedule,
                         ObservationBatch calibration) {
        if (schedule != null) { // the learner prunes as it fine-tunes
            return new Pruned(run.newModel(Device.cpu()), run.model(), null, String.format(Locale.ROOT,
                    "%.0f%% sparse (gradual)", sparsity * 100));
        }
        if (kinds.isEmpty()) {
            ParameterMask mask = MagnitudePruning.select(originalModel, sparsity, rank);
            PolicyModel pruned = run.newModel(Device.cpu());
            mask.apply(pruned);
            return new Pruned(pruned, run.model(), mask, String.format(Locale.ROOT, "%.0f%% sparse (masked)",
                    sparsity * 100));
        }
        StructuredPruning.Result r = StructuredPruning.prune(originalModel, kinds, sparsity, seed, calibration);
        return new Pruned(r.model(), r.config(), null, r.kept());
    }

    /**
     * The fine-tuning job: the run's own config with the pruned network, exactly {@code steps} env steps at
     * {@code lrScale} times the run's learning rate, into {@code runsDir}. It runs its steps: neither a target return
     * nor a target success rate (GoToObject's job has 0.9) ends it early.
     */
    static Config fineTuneJob(Config runConfig, ModelConfig pruned, long steps, double lrScale, Path runsDir) {
        return runConfig
                .withValue("troupe.model", DjlComparison.modelBlock(pruned).root())
                .withValue("troupe.train.max-env-steps", ConfigValueFactory.fromAnyRef(steps))
                .withValue("troupe.ppo.total-steps", ConfigValueFactory.fromAnyRef(steps))
                .withValue("troupe.ppo.learning-rate", ConfigValueFactory.fromAnyRef(lrScale
                        * runConfig.getDouble("troupe.ppo.learning-rate")))
                .withValue("troupe.impala.learning-rate", ConfigValueFactory.fromAnyRef(lrScale
                        * runConfig.getDouble("troupe.impala.learning-rate")))
                .withValue("troupe.train.target-return", ConfigValueFactory.fromAnyRef(1e12))
                .withoutPath("troupe.train.target-success-rate")
                .withValue("troupe.train.runs-dir", ConfigValueFactory.fromAnyRef(runsDir.toString()));
    }

    /** How the pruned policy is fine-tuned. */
    enum FineTuning {
        /** The run's own algorithm, on the env's reward. */
        RUN,
        /** Policy distillation from the original (the dense policy is the teacher). */
        DISTILL;

        static FineTuning parse(String id) {
            for (FineTuning f : values()) {
                if (f.name().toLowerCase(Locale.ROOT).equals(id.trim().toLowerCase(Locale.ROOT))) {
                    return f;
                }
            }
            throw new IllegalArgumentException("--finetune-with " + id + ": expected run (the run's own algorithm) "
                    + "or distill (distillation from the original)");
        }
    }

    /**
     * {@code job} (a fine-tuning job) turned into distillation from {@code original}: the learner's algorithm is
     * {@code distill} with the original's checkpoint and network as the teacher, at the job's learning-rate scale.
     */
    static Config distillFromOriginal(Config job, RunCheckpoint original, double lrScale) {
        return job
                .withValue("troupe.train.algorithm", ConfigValueFactory.fromAnyRef(Algorithm.DISTILL.id()))
                .withValue("troupe.distill.teacher-checkpoint", ConfigValueFactory.fromAnyRef(
                        original.checkpointDir().toAbsolutePath().toString()))
                .withValue("troupe.distill.teacher-model", DjlComparison.modelBlock(original.model()).root())
                .withValue("troupe.distill.learning-rate", ConfigValueFactory.fromAnyRef(lrScale
                        * original.config().getDouble("troupe.distill.learning-rate")));
    }

    /** The learner's checkpoint directory of a job whose run directory is {@code runPath}. */
    static Path checkpointDir(Config job, Path runPath) {
        Path dir = Path.of(job.getString("troupe.learner.checkpoint-dir"));
        return dir.isAbsolute() ? dir : runPath.resolve(dir);
    }

    private static long coveredWeights(PolicyModel model) {
        long n = 0;
        for (int i = 0; i < model.parameters().size(); i++) {
            n += MagnitudePruning.prunable(model, i) ? model.parameters().get(i).getValue().getArray().size() : 0;
        }
        return n;
    }

    /** Each covered matrix's zero fraction, e.g. {@code 01m0_image_weight 0.800}: where the pruning landed. */
    static String zerosByMatrix(PolicyModel model) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < model.parameters().size(); i++) {
            if (MagnitudePruning.prunable(model, i)) {
                float[] v = model.parameters().get(i).getValue().getArray().toFloatArray();
                parts.add(String.format(Locale.ROOT, "%s %.3f", model.parameters().get(i).getKey(),
                        (double) MagnitudePruning.zeros(v) / v.length));
            }
        }
        return "zero fraction by matrix: " + String.join(", ", parts);
    }

    private static long zeroWeights(PolicyModel model) {
        long zeros = 0;
        for (int i = 0; i < model.parameters().size(); i++) {
            if (MagnitudePruning.prunable(model, i)) {
                zeros += MagnitudePruning.zeros(model.parameters().get(i).getValue().getArray().toFloatArray());
            }
        }
        return zeros;
    }
}
