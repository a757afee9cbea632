package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import io.troupe.core.EnvSpec;
import io.troupe.learners.model.ImageStem;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoUpdate;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link InPlace#hostView}: for every parameter of every model kind, and for each parameter's gradient after a
 * backward pass, the view is the array's own storage (a write through it is what the array then holds), which the
 * optimizer's Java path relies on; and the optimizer's steps leave no handles behind in the model's manager.
 */
class InPlaceTest {
    private static final ModelConfig SMALL = ModelConfig.transformer(16, 2, 1, 32, 6, 2);

    @Test
    void parametersAndGradientsOfEveryModelKindAreViewedInPlace() {
        assertViewsAlias(ModelTest.CARTPOLE, ModelConfig.mlp(64, 64));
        assertViewsAlias(ModelTest.CARTPOLE, SMALL);
        assertViewsAlias(ModelTest.GRID, SMALL);
        assertViewsAlias(ModelTest.GRID, SMALL.withFilm(true).withStem(new ImageStem(8, 3)));
    }

    private static void assertViewsAlias(EnvSpec spec, ModelConfig config) {
        try (PolicyModel m = PolicyModel.create(spec, config, 5, Device.cpu());
             NDManager scope = m.manager().newSubManager()) {
            NDList in = m.inputs(scope, RandomObservations.batch(spec, 4, 7), new int[] {0, 1, 2, 3});
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = m.forward(in, true);
                gc.backward(out.get(0).mul(out.get(0)).sum().add(out.get(1).sum()));
            }
            for (Pair<String, Parameter> p : m.parameters()) {
                NDArray w = p.getValue().getArray();
                assertAliases(w, m.modelId() + " parameter " + p.getKey());
                NDArray g = w.getGradient();
                g.attach(scope);
                assertAliases(g, m.modelId() + " gradient of " + p.getKey());
            }
        }
    }

    /** Writes a new last value through the view and reads it back through DJL's own copy; then restores it. */
    private static void assertAliases(NDArray a, String what) {
        FloatBuffer view = InPlace.hostView(a);
        assertEquals(a.size(), view.limit(), what + ": the view covers the array");
        int last = view.limit() - 1;
        float before = view.get(last);
        float marker = before + 1.25f;
        view.put(last, marker);
        float[] seen = a.toFloatArray();
        assertEquals(marker, seen[last], what + ": a write through the view is what the array holds");
        view.put(last, before);
        assertEquals(before, a.toFloatArray()[last], what);
    }

    @Test
    void weightsLoadIntoEveryParameterOfAnotherModel() {
        try (PolicyModel from = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true), 5, Device.cpu());
             PolicyModel to = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true), 6, Device.cpu())) {
            float[] expected = from.flatParameters();
            assertTrue(expected.length > 1000 && !Arrays.equals(expected, to.flatParameters()),
                    "different seeds, different weights");
            to.load(from.weights(3));
            assertEquals(Arrays.toString(expected), Arrays.toString(to.flatParameters()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> InPlace.copyIntoParameter(to.parameters().get(0).getValue().getArray(), new float[3]));
            assertTrue(e.getMessage().contains("cannot copy 3 values"), e.getMessage());
        }
    }

    @Test
    void hostViewRefusesWhatItCannotView() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray ints = manager.create(new int[] {1, 2, 3});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InPlace.hostView(ints));
            assertTrue(e.getMessage().contains("float32") && e.getMessage().contains("int32"), e.getMessage());
            assertEquals(DataType.INT32, ints.getDataType());
        }
    }

    @Test
    void optimizerStepsLeaveNoHandlesInTheModelsManager() {
        try (PolicyModel m = PolicyModel.create(ModelTest.CARTPOLE, ModelConfig.mlp(64, 64), 3, Device.cpu());
             Adam adam = Adam.withDefaults(m.parameters(), m.manager())) {
            NDManager owner = m.parameters().get(0).getValue().getArray().getManager();
            PpoUpdate.update(m, adam, ModelTest.rollout(128, 1, false), PpoConfig.cleanRl(), 3e-3,
                    new SplittableRandom(1));
            int after1 = owner.getManagedArrays().size();
            long steps1 = adam.steps();
            PpoUpdate.update(m, adam, ModelTest.rollout(128, 2, false), PpoConfig.cleanRl(), 3e-3,
                    new SplittableRandom(2));
            assertEquals(2 * steps1, adam.steps(), "both updates stepped");
            assertEquals(after1, owner.getManagedArrays().size(),
                    "arrays held by the parameters' manager after " + steps1 + " more optimizer steps");
        }
    }
}
