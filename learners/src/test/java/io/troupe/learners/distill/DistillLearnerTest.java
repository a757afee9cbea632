package io.troupe.learners.distill;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.UpdateStep;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.prune.PruneFixtures;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DistillLearnerTest {

    @Test
    void distillationLowersTheKlBetweenTeacherAndStudentOnFixedObservations(@TempDir Path dir) {
        PolicyModel teacher = sharpTeacher();
        LearnerCheckpoint.save(dir, teacher, Adam.withDefaults(teacher.parameters(), teacher.manager()),
                new LearnerCheckpoint.Counters(1, 1, 1));
        DistillConfig config = DistillConfig.defaults().withTeacher(dir.resolve("latest"), teacher.config());
        try (PolicyModel student = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.mlp(16, 16), 7,
                Device.cpu());
             Adam adam = Adam.withDefaults(student.parameters(), student.manager());
             DistillLearner learner = new DistillLearner(ModelReplicas.single(student), adam, config,
                     DistillLearner.loadTeacher(PruneFixtures.CARTPOLE, config, Device.cpu()),
                     new SplittableRandom(1))) {
            ObservationBatch train = PruneFixtures.observations(PruneFixtures.CARTPOLE, 512, 1);
            ObservationBatch held = PruneFixtures.observations(PruneFixtures.CARTPOLE, 256, 2);
            double before = DistillLearner.meanKl(teacher, student, held);
            assertTrue(before > 0.05, "the teacher must differ from the fresh student: KL " + before);
            for (int i = 0; i < 15; i++) {
                UpdateStep.Result r = learner.train(student, train);
                assertFalse(r.skipped());
            }
            double after = DistillLearner.meanKl(teacher, student, held);
            assertTrue(after < 0.3 * before, "KL " + before + " -> " + after);
        } finally {
            teacher.close();
        }
    }

    @Test
    void aTeacherOfAnotherEnvIsRefused() {
        EnvSpec other = EnvSpec.of("Acrobot-v1", Box.uniform(-5, 5, DType.FLOAT32, 4), new Discrete(2));
        try (PolicyModel student = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.mlp(16), 1, Device.cpu());
             PolicyModel teacher = PolicyModel.create(other, ModelConfig.mlp(16), 1, Device.cpu());
             Adam adam = Adam.withDefaults(student.parameters(), student.manager())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DistillLearner(ModelReplicas.single(student), adam, DistillConfig.defaults(), teacher,
                            new SplittableRandom(1)));
            assertTrue(e.getMessage().contains("Acrobot-v1") && e.getMessage().contains("CartPole-v1"),
                    e.getMessage());
        }
    }

    @Test
    void anUnreadableTeacherCheckpointIsNamed(@TempDir Path dir) {
        DistillConfig config = DistillConfig.defaults().withTeacher(dir.resolve("nothing"), ModelConfig.mlp(16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistillLearner.loadTeacher(PruneFixtures.CARTPOLE, config, Device.cpu()));
        assertTrue(e.getMessage().startsWith("teacher checkpoint " + dir.resolve("nothing")), e.getMessage());
    }

    /** A 64-64 teacher whose policy output is scaled up, so its action distribution is far from uniform. */
    private static PolicyModel sharpTeacher() {
        PolicyModel t = PolicyModel.create(PruneFixtures.CARTPOLE, ModelConfig.mlp(64, 64), 3, Device.cpu());
        NDArray w = t.parameters().get(4).getValue().getArray(); // the actor's output weight
        float[] v = w.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] *= 300f;
        }
        InPlace.copy(w, v);
        return t;
    }
}
