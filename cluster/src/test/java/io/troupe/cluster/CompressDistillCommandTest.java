package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.cluster.compress.PolicyComparison;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.run.Evaluation;
import io.troupe.core.ObservationBatch;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.distill.DistillLearner;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./troupe compress distill}: a CartPole teacher trained here with the default job is distilled through the
 * agents into a [16, 16] MLP student; the student's KL to the teacher on fixed observations falls and its return
 * closes at least a quarter of the gap between a fresh network's and the teacher's. A student conf for another env is one line, exit code 2, nothing written.
 */
class CompressDistillCommandTest {
    @TempDir
    Path dir;

    @Test
    void aDistilledStudentMovesTowardsTheTeacher() throws Exception {
        Path runs = dir.resolve("runs");
        assertEquals(0, TroupeCli.commandLine().execute("train", "--config", Path.of("..", "conf", "cartpole.conf")
                .toString(), "--run-dir", runs.toString(), "troupe.admin.port=-1",
                "troupe.train.max-env-steps=150000"));
        Path teacher;
        try (Stream<Path> s = Files.list(runs)) {
            teacher = s.findFirst().orElseThrow();
        }
        Path student = dir.resolve("student.conf");
        Files.writeString(student, """
                include "%s"
                troupe.model.mlp-hidden = [16, 16]
                troupe.train.max-env-steps = 80000
                troupe.train.runs-dir = "%s"
                troupe.admin.enabled = false
                """.formatted(Path.of("..", "conf", "cartpole.conf").toAbsolutePath().toString().replace("\\", "/"),
                dir.resolve("students").toString().replace("\\", "/")));
        CliRun r = CliRun.of("compress", "distill", "--teacher", teacher.toString(), "--student", student.toString(),
                "--eval-episodes", "20", "--latency-seconds", "0.2");
        assertEquals(0, r.code(), r.err());
        Path distilled;
        try (Stream<Path> s = Files.list(dir.resolve("students"))) {
            distilled = s.findFirst().orElseThrow();
        }
        JsonNode report = JsonCodec.readTree(Files.readString(distilled.resolve("compress-report.json")), "report");
        assertEquals("distill", report.path("method").asText());
        double studentReturn = report.path("compressed").path("mean_return").path("mean").asDouble();

        RunCheckpoint t = RunCheckpoint.open(teacher);
        try (PolicyModel teacherModel = t.newModel(Device.cpu());
             PolicyModel trained = RunCheckpoint.open(distilled).newModel(Device.cpu());
             PolicyModel fresh = PolicyModel.create(t.spec(), ModelConfig.mlp(16, 16), 1, Device.cpu())) {
            assertTrue(trained.parameterCount() * 4 <= teacherModel.parameterCount());
            // fixed observations: the teacher's own greedy episodes
            List<ObservationBatch> seen = new ArrayList<>();
            Evaluation.episodes(EnvRegistry.defaults(), "CartPole-v1", t.envOverrides(), teacherModel, 4, 4, 99,
                    (batch, e) -> seen.add(PolicyComparison.firstRows(List.of(batch), batch.rows())));
            ObservationBatch obs = PolicyComparison.firstRows(seen, 512);
            double before = DistillLearner.meanKl(teacherModel, fresh, obs);
            double after = DistillLearner.meanKl(teacherModel, trained, obs);
            assertTrue(after < 0.5 * before, "KL(teacher || student) " + before + " -> " + after);
            double freshReturn = Evaluation.summarize(Evaluation.episodes(EnvRegistry.defaults(), "CartPole-v1",
                    t.envOverrides(), fresh, 20, 10, 5, null)).meanReturn();
            // the student closes at least a quarter of the gap between its fresh network and the teacher (a fresh
            // network's greedy return is itself 20-300 here, depending on its seed, so a fixed rise says little)
            double teacherReturn = report.path("original").path("mean_return").path("mean").asDouble();
            assertTrue(teacherReturn > freshReturn + 50, "the teacher is better than a fresh network: " + teacherReturn
                    + " vs " + freshReturn);
            assertTrue(studentReturn - freshReturn > 0.25 * (teacherReturn - freshReturn), "return " + freshReturn
                    + " -> " + studentReturn + ", teacher " + teacherReturn);
        }
    }

    @Test
    void aStudentForAnotherEnvIsOneLineAndNothingIsWritten() throws Exception {
        Path teacher = dir.resolve("runs/cartpole");
        Files.createDirectories(teacher);
        Files.writeString(teacher.resolve("config.conf"), "troupe.train.env = \"CartPole-v1\"\n"
                + "troupe.model { kind = mlp, mlp-hidden = [64, 64] }\n");
        try (var env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel model = PolicyModel.create(env.spec(), ModelConfig.mlp(64, 64), 1, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            LearnerCheckpoint.save(teacher.resolve("checkpoints"), model, adam,
                    new LearnerCheckpoint.Counters(1, 1, 1));
        }
        Path student = dir.resolve("gotoobject.conf");
        Files.writeString(student, "troupe.train { env = \"GoToObject-v0\", runs-dir = \""
                + dir.resolve("students").toString().replace("\\", "/") + "\" }\n"
                + "troupe.model { kind = mlp, mlp-hidden = [16, 16] }\n");
        CliRun r = CliRun.of("compress", "distill", "--teacher", teacher.toString(), "--student", student.toString());
        assertEquals(2, r.code(), r.out());
        assertEquals("troupe: --student " + student + " trains on GoToObject-v0 but the teacher "
                + teacher.resolve("checkpoints/latest") + " is a policy for CartPole-v1; expected the same env"
                + System.lineSeparator(), r.err());
        assertTrue(Files.notExists(dir.resolve("students")));
    }
}
