package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code troupe.model.film}: the mission's scale and shift of the image tokens. A new FiLM model computes what the
 * model without it computes; the scale multiplies the image tokens (a scale of -1 + 1 = 0 erases the image); the maps
 * get gradients; spaces without a mission or an image, and the MLP, are refused naming the key.
 */
class FilmTest {
    private static final ModelConfig SMALL = ModelConfig.transformer(16, 2, 1, 32, 6, 2);

    private static List<Pair<String, Parameter>> filmParameters(PolicyModel m) {
        return m.parameters().stream().filter(p -> p.getKey().contains("film")).toList();
    }

    @Test
    void aNewFilmModelComputesWhatTheModelWithoutItComputes() {
        try (PolicyModel plain = PolicyModel.create(ModelTest.GRID, SMALL, 5, Device.cpu());
             PolicyModel film = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true), 5, Device.cpu())) {
            List<Pair<String, Parameter>> maps = filmParameters(film);
            assertEquals(List.of("filmScale_weight", "filmScale_bias", "filmShift_weight", "filmShift_bias"),
                    maps.stream().map(p -> p.getKey().replaceFirst("^\\d+", "")).toList());
            assertEquals(plain.parameters().size() + 4, film.parameters().size());
            for (int i = 0; i < plain.parameters().size(); i++) {
                assertEquals(plain.parameters().get(i).getKey(), film.parameters().get(i).getKey(),
                        "every parameter of the model without FiLM keeps its name");
            }
            PolicyModel.Output a = plain.infer(AblationTest.base());
            PolicyModel.Output b = film.infer(AblationTest.base());
            assertArrayEquals(a.logits(), b.logits(), 1e-6f);
            assertArrayEquals(a.values(), b.values(), 1e-6f);
            assertTrue(film.modelId().contains(",film)"), film.modelId());
            assertFalse(plain.modelId().contains("film"), plain.modelId());
        }
    }

    @Test
    void theScaleMultipliesTheImageTokens() {
        try (PolicyModel m = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true), 5, Device.cpu())) {
            PolicyModel.Output before = m.infer(AblationTest.base());
            assertFalse(Arrays.equals(before.logits(), m.infer(AblationTest.withOtherImage()).logits()),
                    "the image counts");
            // scale = 0 * mission + (-1): every image token times 1 + (-1) = 0, plus a zero shift
            Parameter scaleBias = filmParameters(m).get(1).getValue();
            float[] minusOne = new float[(int) scaleBias.getArray().size()];
            Arrays.fill(minusOne, -1f);
            InPlace.copy(scaleBias.getArray(), minusOne);
            PolicyModel.Output erased = m.infer(AblationTest.base());
            assertArrayEquals(erased.logits(), m.infer(AblationTest.withOtherImage()).logits(), 1e-6f,
                    "with the image tokens scaled to zero the image no longer counts");
            assertFalse(Arrays.equals(before.logits(), erased.logits()));
        }
    }

    @Test
    void theMapsGetGradients() {
        try (PolicyModel m = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true), 5, Device.cpu())) {
            assertEachGetsAGradient(m, filmParameters(m));
        }
    }

    /** One backward pass of a loss over both outputs on four observations: each of {@code params} gets a gradient. */
    static void assertEachGetsAGradient(PolicyModel m, List<Pair<String, Parameter>> params) {
        try (NDManager scope = m.manager().newSubManager()) {
            NDList in = m.inputs(scope, AblationTest.base(), new int[] {0, 1, 2, 3});
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = m.forward(in, true);
                gc.backward(out.get(0).mul(out.get(0)).sum().add(out.get(1).sum()));
            }
            for (Pair<String, Parameter> p : params) {
                NDArray g = p.getValue().getArray().getGradient();
                assertTrue(g.abs().sum().getFloat() > 0, p.getKey() + " gets no gradient");
            }
        }
    }

    @Test
    void theSettingIsReadFromConfig() {
        Config base = ConfigFactory.defaultReference().getConfig("troupe.model");
        assertFalse(ModelConfig.fromConfig(base).film());
        assertEquals("transformer(e32,h4,l1,ff64,p6,s1)", ModelConfig.fromConfig(base).describe(),
                "off: the model id is what it was before the switch existed");
        ModelConfig on = ModelConfig.fromConfig(base.withValue("film", ConfigValueFactory.fromAnyRef(true)));
        assertTrue(on.film());
        assertEquals("transformer(e32,h4,l1,ff64,p6,s1,film)", on.describe());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(
                base.withValue("film", ConfigValueFactory.fromAnyRef("sometimes"))));
        assertTrue(e.getMessage().contains("film"), e.getMessage());
    }

    @Test
    void aSpaceWithoutMissionOrImageAndTheMlpAreRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicyModel.create(
                ModelTest.CARTPOLE, SMALL.withFilm(true), 1, Device.cpu()));
        assertTrue(e.getMessage().contains("troupe.model.film = true") && e.getMessage().contains("text and an image"),
                e.getMessage());
        IllegalArgumentException mlp = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.mlp(64, 64).withFilm(true));
        assertTrue(mlp.getMessage().contains("troupe.model.film") && mlp.getMessage().contains("mlp"),
                mlp.getMessage());
    }
}
