package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.learners.model.ImageStem;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.model.PolicyStage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Inference stage by stage ({@link PolicyStage}): each stage allocates its slice alone and loads it from the whole
 * model's weights, and the stages chained answer as the whole model, for CartPole's and GoToObject's spaces.
 */
class PolicyStageTest {
    /** Four blocks: 2, 3 or 4 stages. */
    private static final ModelConfig DEEP = ModelConfig.transformer(16, 2, 4, 32, 6, 2);


    private static List<PolicyStage> stages(EnvSpec spec, int k, PolicyWeights weights) {
        return stages(spec, DEEP, k, weights);
    }

    private static List<PolicyStage> stages(EnvSpec spec, ModelConfig config, int k, PolicyWeights weights) {
        List<PolicyStage> out = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            PolicyStage stage = PolicyStage.create(spec, config, s, k, Device.cpu());
            stage.load(weights);
            out.add(stage);
        }
        return out;
    }

    private static PolicyModel.Output chain(List<PolicyStage> stages, ObservationBatch obs) {
        PolicyStage.Activations a = stages.get(0).forward(obs);
        for (int s = 1; s < stages.size() - 1; s++) {
            a = stages.get(s).forward(a);
        }
        return stages.get(stages.size() - 1).output(a);
    }

    @Test
    void chainedStagesAnswerAsTheWholeModel() {
        for (EnvSpec spec : List.of(ModelTest.CARTPOLE, ModelTest.GRID)) {
            ObservationBatch obs = RandomObservations.batch(spec, 9, 5);
            try (PolicyModel whole = PolicyModel.create(spec, DEEP, 3, Device.cpu())) {
                PolicyModel.Output w = whole.infer(obs);
                for (int k = 2; k <= 4; k++) {
                    List<PolicyStage> stages = stages(spec, k, whole.weights(7));
                    try {
                        assertEquals(whole.modelId(), stages.get(0).modelId(), "the whole model's id");
                        PolicyModel.Output o = chain(stages, obs);
                        assertTrue(PipelineParallelTest.maxAbsDiff(w.logits(), o.logits()) < 1e-5, spec.id() + ", " + k + " stages: logits");
                        assertTrue(PipelineParallelTest.maxAbsDiff(w.values(), o.values()) < 1e-5, spec.id() + ", " + k + " stages: values");
                    } finally {
                        stages.forEach(PolicyStage::close);
                    }
                }
            }
        }
    }

    /** The mission conditioning and the cell stem are stage 0's, with the tokenizers: the chain still answers alike. */
    @Test
    void aModelWithFilmAndACellStemChainsAsTheWholeModel() {
        ModelConfig config = DEEP.withFilm(true).withStem(new ImageStem(8, 3));
        ObservationBatch obs = RandomObservations.batch(ModelTest.GRID, 5, 11);
        try (PolicyModel whole = PolicyModel.create(ModelTest.GRID, config, 3, Device.cpu())) {
            ImageStemTest.randomizeFilm(whole);
            PolicyModel.Output w = whole.infer(obs);
            List<PolicyStage> stages = stages(ModelTest.GRID, config, 2, whole.weights(7));
            try {
                assertTrue(stages.get(0).parameters().stream().anyMatch(p -> p.getKey().endsWith("_stem_weight")),
                        "stage 0 holds the stem");
                PolicyModel.Output o = chain(stages, obs);
                assertTrue(PipelineParallelTest.maxAbsDiff(w.logits(), o.logits()) < 1e-5, "logits");
                assertTrue(PipelineParallelTest.maxAbsDiff(w.values(), o.values()) < 1e-5, "values");
            } finally {
                stages.forEach(PolicyStage::close);
            }
        }
    }

    @Test
    void eachStageAllocatesOnlyItsSlice() {
        EnvSpec spec = ModelTest.GRID;
        try (PolicyModel whole = PolicyModel.create(spec, DEEP, 3, Device.cpu());
             PolicyModel split = PolicyModel.create(spec, DEEP.withParallelism(new Parallelism(3, 1)), 3,
                     Collections.nCopies(3, Device.cpu()))) {
            List<PolicyStage> stages = stages(spec, 3, whole.weights(1));
            try {
                long total = 0;
                for (int k = 0; k < 3; k++) {
                    List<String> names = stages.get(k).parameters().stream().map(Pair::getKey).toList();
                    assertEquals(split.stageParameters(k).stream().map(Pair::getKey).toList(), names,
                            "stage " + k + " holds what the learner's stage " + k + " holds");
                    total += stages.get(k).parameterCount();
                }
                assertEquals(whole.parameterCount(), total, "the slices add up to the whole model");
                List<String> middle = stages.get(1).parameters().stream().map(Pair::getKey).toList();
                assertTrue(middle.stream().allMatch(n -> n.contains("encoder")), "a middle stage: blocks only, "
                        + middle);
                assertFalse(stages.get(0).parameters().stream().anyMatch(p -> p.getKey().startsWith("policy")),
                        "stage 0 has no heads");
                // the slice's values are the whole model's
                List<Pair<String, Parameter>> all = whole.parameters();
                for (PolicyStage s : stages) {
                    for (Pair<String, Parameter> p : s.parameters()) {
                        Parameter theirs = all.stream().filter(q -> q.getKey().equals(p.getKey())).findFirst()
                                .orElseThrow().getValue();
                        assertEquals(0.0, PipelineParallelTest.maxAbsDiff(theirs.getArray().toFloatArray(),
                                p.getValue().getArray().toFloatArray()), p.getKey());
                    }
                }
            } finally {
                stages.forEach(PolicyStage::close);
            }
        }
    }

    @Test
    void misuseIsRefusedNamingWhatWasExpected() {
        EnvSpec spec = ModelTest.CARTPOLE;
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> PolicyStage.create(spec, DEEP, 0, 5, Device.cpu()));
        assertTrue(tooMany.getMessage().contains("troupe.model.layers (4)"), tooMany.getMessage());
        IllegalArgumentException mlp = assertThrows(IllegalArgumentException.class,
                () -> PolicyStage.create(spec, ModelConfig.mlp(64, 64), 0, 2, Device.cpu()));
        assertTrue(mlp.getMessage().contains("troupe.model.kind = mlp"), mlp.getMessage());
        try (PolicyStage first = PolicyStage.create(spec, DEEP, 0, 2, Device.cpu());
             PolicyModel other = PolicyModel.create(spec, ModelConfig.transformer(8, 2, 4, 32, 6, 2), 1,
                     Device.cpu())) {
            IllegalStateException order = assertThrows(IllegalStateException.class,
                    () -> first.output(new PolicyStage.Activations(1, first.tokens(), 16,
                            new float[first.tokens() * 16])));
            assertTrue(order.getMessage().contains("the last stage"), order.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> first.load(other.weights(1)));
            assertTrue(shape.getMessage().contains("has shape"), shape.getMessage());
        }
    }
}
