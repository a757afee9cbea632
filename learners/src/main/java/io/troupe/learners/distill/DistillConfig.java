package io.troupe.learners.distill;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.learners.model.ModelConfig;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Policy distillation's hyperparameters, read from {@code troupe.distill}.
 *
 * @param learningRate      Adam's learning rate (1e-3)
 * @param updateEpochs      passes over each batch (4)
 * @param numMinibatches    minibatches per pass (4)
 * @param valueCoef         weight of the value loss {@code (v_student - v_teacher)^2} beside the KL (0.5)
 * @param maxGradNorm       global gradient-norm clip (0.5; 0 = off)
 * @param teacherCheckpoint the teacher's checkpoint folder ({@code runs/<id>/checkpoints/latest}); empty when the
 *                          job does not distill
 * @param teacherModel      the teacher's network ({@code troupe.distill.teacher-model}, a {@code troupe.model} block);
 *                          empty when the job does not distill
 */
public record DistillConfig(double learningRate, int updateEpochs, int numMinibatches, double valueCoef,
                            double maxGradNorm, Optional<Path> teacherCheckpoint, Optional<ModelConfig> teacherModel) {
    public DistillConfig {
        check("learning-rate", learningRate > 0 && learningRate < 1, learningRate);
        check("update-epochs", updateEpochs >= 1, updateEpochs);
        check("num-minibatches", numMinibatches >= 1, numMinibatches);
        check("value-coef", valueCoef >= 0, valueCoef);
        check("max-grad-norm", maxGradNorm >= 0, maxGradNorm);
        if (teacherCheckpoint.isPresent() != teacherModel.isPresent()) {
            throw new IllegalArgumentException("troupe.distill: teacher-checkpoint and teacher-model go together");
        }
    }

    private static void check(String key, boolean ok, double value) {
        if (!ok) {
            throw new IllegalArgumentException("troupe.distill." + key + " is out of range: " + value);
        }
    }

    /** The defaults, with no teacher (a job that does not distill). */
    public static DistillConfig defaults() {
        return new DistillConfig(1e-3, 4, 4, 0.5, 0.5, Optional.empty(), Optional.empty());
    }

    /** These settings distilling from the checkpoint folder {@code checkpoint} of a {@code model} network. */
    public DistillConfig withTeacher(Path checkpoint, ModelConfig model) {
        return new DistillConfig(learningRate, updateEpochs, numMinibatches, valueCoef, maxGradNorm,
                Optional.of(checkpoint), Optional.of(model));
    }

    public static DistillConfig fromConfig(Config c) {
        try {
            String teacher = c.getString("teacher-checkpoint");
            return new DistillConfig(c.getDouble("learning-rate"), c.getInt("update-epochs"),
                    c.getInt("num-minibatches"), c.getDouble("value-coef"), c.getDouble("max-grad-norm"),
                    teacher.isEmpty() ? Optional.empty() : Optional.of(Path.of(teacher)),
                    teacher.isEmpty() ? Optional.empty()
                            : Optional.of(ModelConfig.fromConfig(c.getConfig("teacher-model"))));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.distill: " + e.getMessage(), e);
        }
    }
}
