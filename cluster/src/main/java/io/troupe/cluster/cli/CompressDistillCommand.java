package io.troupe.cluster.cli;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.compress.CompressReport;
import io.troupe.cluster.compress.DjlComparison;
import io.troupe.cluster.compress.StagedFiles;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.RunSummary;
import io.troupe.cluster.run.TrainJob;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code troupe compress distill --teacher RUN_DIR --student FILE.conf}: on-policy policy distillation through the
 * actor pipeline. The student conf is a training job ({@code troupe.model} gives the student's network); it runs with
 * {@code troupe.train.algorithm = distill}: the agents act with the student, the learner labels each step with the
 * frozen teacher's action distribution and value and minimizes {@code KL(teacher || student)} plus a value loss. The
 * run ends as any training job (solved, or its step or time limit); {@code compress-report.json} goes into its run
 * directory, the teacher as the original.
 */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Distill a run's policy into a smaller student network through the agents, and report.")
final class CompressDistillCommand implements Callable<Integer> {
    @Option(names = "--teacher", required = true, paramLabel = "DIR",
            description = "the teacher: a run directory (runs/<run-id>), its checkpoints/ folder, or a checkpoint "
                    + "folder")
    Path teacher;

    @Option(names = "--student", required = true, paramLabel = "FILE",
            description = "the student's job config (HOCON): the same env as the teacher, troupe.model the student's "
                    + "network")
    Path student;

    @Parameters(paramLabel = "KEY=VALUE", arity = "0..*",
            description = "config overrides on top of the student conf, e.g. troupe.train.seed=3")
    List<String> overrides;

    @Mixin
    CompressOptions eval;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        eval.validate();
        RunCheckpoint t = RunCheckpoint.open(teacher);
        Config studentConf = JobConfig.load(student, overrides == null ? new ArrayList<>() : overrides);
        String studentEnv = studentConf.getString("troupe.train.env");
        if (!studentEnv.equals(t.envId())) {
            throw new IllegalArgumentException("--student " + student + " trains on " + studentEnv + " but the "
                    + "teacher " + t.checkpointDir() + " is a policy for " + t.envId() + "; expected the same env");
        }
        EnvRegistry registry = EnvRegistry.fromConfig(studentConf);
        TrainSettings studentSettings = TrainSettings.fromConfig(studentConf);
        try (Env env = registry.make(studentEnv, studentSettings.envOverrides())) {
            if (!env.spec().observationSpace().describe().equals(t.spec().observationSpace().describe())
                    || !env.spec().actionSpace().describe().equals(t.spec().actionSpace().describe())) {
                throw new IllegalArgumentException("--student " + student + ": its env " + studentEnv + " observes "
                        + env.spec().observationSpace().describe() + " but the teacher " + t.checkpointDir()
                        + " was trained on " + t.spec().observationSpace().describe() + "; expected the same spaces");
            }
        }
        ModelConfig studentModel = ModelConfig.fromConfig(studentConf.getConfig("troupe.model"));
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("troupe.train.algorithm", Algorithm.DISTILL.id());
        set.put("troupe.distill.teacher-checkpoint", t.checkpointDir().toAbsolutePath().toString());
        Config job = ConfigFactory.parseMap(set)
                .withValue("troupe.distill.teacher-model", DjlComparison.modelBlock(t.model()).root())
                .withFallback(studentConf).resolve();
        TrainSettings.fromConfig(job); // the job's own checks, before anything is written
        try (PolicyModel probe = PolicyModel.create(t.spec(), studentModel, 0, Device.cpu())) {
            probe.parameterCount(); // a student network that does not fit the env fails here, before a run exists
        }
        Path[] runDir = new Path[1];
        RunSummary summary = new TrainJob(job).run(p -> runDir[0] = p, new AtomicBoolean());
        RunCheckpoint s = RunCheckpoint.open(runDir[0]);
        try (PolicyModel teacherModel = t.newModel(Device.cpu());
             PolicyModel studentTrained = s.newModel(Device.cpu())) {
            List<CompressReport.Detail> details = new ArrayList<>();
            details.add(DjlComparison.detail("networks", "teacher %s (%,d parameters) -> student %s (%,d, %.3f of "
                            + "the teacher's)", t.model().describe(), teacherModel.parameterCount(),
                    studentModel.describe(), studentTrained.parameterCount(),
                    (double) studentTrained.parameterCount() / teacherModel.parameterCount()));
            details.add(DjlComparison.detail("distillation", "%,d env steps of the student in %.1f s (%s; solved "
                    + "%s), run %s", summary.envSteps(), summary.wallS(), summary.stopReason(), summary.solved(),
                    runDir[0]));
            details.add(new CompressReport.Detail("teacher's training", teacherTraining(t.runDir())));
            Path tw = t.checkpointDir().resolve("weights.trpw");
            Path sw = s.checkpointDir().resolve("weights.trpw");
            CompressReport report = DjlComparison.compare("distill", registry, t.envId(), t.envOverrides(),
                    t.checkpointDir().toString(), new DjlComparison.Side("teacher", teacherModel, tw, Files.size(tw)),
                    new DjlComparison.Side("student " + studentModel.describe(), studentTrained, sw, Files.size(sw)),
                    eval.evalEpisodes, eval.seed, eval.latencySeconds, t.spec().definesSuccess(), start, details);
            try (StagedFiles files = new StagedFiles()) {
                report.stage(files, runDir[0]);
                files.commit();
            }
            report.print(System.out);
            System.out.printf("wrote %s%n", runDir[0].resolve(CompressReport.FILE));
        }
        return 0;
    }

    /** The teacher run's training time and steps from its summary.json, or why they are unknown. */
    static String teacherTraining(Path runDir) {
        Path summary = runDir.resolve("summary.json");
        try {
            JsonNode n = JsonCodec.mapper().readTree(summary.toFile());
            return String.format(Locale.ROOT, "%,d env steps in %.1f s (%s)", n.path("env_steps").asLong(),
                    n.path("wall_s").asDouble(), n.path("stop_reason").asText());
        } catch (IOException e) {
            return "unknown (" + summary + " is unreadable)";
        }
    }
}
