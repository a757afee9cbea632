package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.core.ObservationBatch;
import io.troupe.learners.model.ImageStem;
import io.troupe.learners.model.InPlace;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code troupe.model.stem}: a per-cell convolution and ReLU before the patch embedding, with FiLM's scale and shift on
 * its features. The model without it keeps its parameters' names and its id; the stem's parameters come last and get
 * gradients; FiLM's scale reaches the stem (a scale of 0 erases the image); bad settings are refused naming the key.
 */
class ImageStemTest {
    private static final ModelConfig SMALL = ModelConfig.transformer(16, 2, 1, 32, 6, 2);
    private static final ImageStem STEM = new ImageStem(8, 3);

    private static List<Pair<String, Parameter>> named(PolicyModel m, String part) {
        return m.parameters().stream().filter(p -> p.getKey().contains(part)).toList();
    }

    /** FiLM's maps start at zero; random values make the mission count. */
    static void randomizeFilm(PolicyModel m) {
        SplittableRandom rng = new SplittableRandom(3);
        for (Pair<String, Parameter> p : named(m, "film")) {
            float[] v = new float[(int) p.getValue().getArray().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (0.3 * rng.nextGaussian());
            }
            InPlace.copy(p.getValue().getArray(), v);
        }
    }

    @Test
    void theStemsParametersComeLastAndTheOthersKeepTheirNames() {
        try (PolicyModel plain = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true), 5, Device.cpu());
             PolicyModel stem = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true).withStem(STEM), 5,
                     Device.cpu())) {
            List<String> added = stem.parameters().stream().skip(plain.parameters().size()).map(Pair::getKey)
                    .map(k -> k.replaceFirst("^\\d+", "")).toList();
            assertEquals(List.of("m0_image_stem_weight", "m0_image_stem_bias"), added);
            for (int i = 0; i < plain.parameters().size(); i++) {
                assertEquals(plain.parameters().get(i).getKey(), stem.parameters().get(i).getKey());
            }
            // the patch embedding takes the stem's 8 channels over 2 x 2 cells of 3 pixels; FiLM maps to 8 channels
            assertArrayEquals(new long[] {16, 8, 2, 2},
                    named(stem, "m0_image_weight").get(0).getValue().getArray().getShape().getShape());
            assertArrayEquals(new long[] {8, 3, 3, 3},
                    named(stem, "m0_image_stem_weight").get(0).getValue().getArray().getShape().getShape());
            assertArrayEquals(new long[] {8, 16},
                    named(stem, "filmScale_weight").get(0).getValue().getArray().getShape().getShape());
            assertTrue(stem.modelId().contains(",film,stem8x3)"), stem.modelId());
            assertFalse(plain.modelId().contains("stem"), plain.modelId());
        }
    }

    @Test
    void theImageAndTheMissionBothCountAndAZeroScaleErasesTheImage() {
        try (PolicyModel m = PolicyModel.create(ModelTest.GRID, SMALL.withFilm(true).withStem(STEM), 5,
                Device.cpu())) {
            randomizeFilm(m);
            ObservationBatch base = AblationTest.base();
            PolicyModel.Output before = m.infer(base);
            assertFalse(Arrays.equals(before.logits(), m.infer(AblationTest.withOtherImage()).logits()),
                    "the image counts");
            assertFalse(Arrays.equals(before.logits(), m.infer(withOtherMission()).logits()), "the mission counts");
            // scale = 0 x mission + (-1) + 1 = 0 and shift = 0: every stem feature is ReLU(0) = 0, whatever the image
            for (Pair<String, Parameter> p : named(m, "film")) {
                float[] v = new float[(int) p.getValue().getArray().size()];
                if (p.getKey().endsWith("filmScale_bias")) {
                    Arrays.fill(v, -1f);
                }
                InPlace.copy(p.getValue().getArray(), v);
            }
            assertArrayEquals(m.infer(base).logits(), m.infer(AblationTest.withOtherImage()).logits(), 1e-6f,
                    "with the stem's features scaled to zero the image no longer counts");
        }
    }

    @Test
    void theStemGetsGradients() {
        try (PolicyModel m = PolicyModel.create(ModelTest.GRID, SMALL.withStem(STEM), 5, Device.cpu())) {
            List<Pair<String, Parameter>> stem = named(m, "stem");
            assertEquals(2, stem.size());
            FilmTest.assertEachGetsAGradient(m, stem);
        }
    }

    @Test
    void theSettingIsReadFromConfig() {
        Config base = ConfigFactory.defaultReference().getConfig("troupe.model");
        assertFalse(ModelConfig.fromConfig(base).stem().on());
        assertEquals("transformer(e32,h4,l1,ff64,p6,s1)", ModelConfig.fromConfig(base).describe(),
                "off: the model id is what it was before the stem existed");
        ModelConfig on = ModelConfig.fromConfig(base.withValue("stem.channels", ConfigValueFactory.fromAnyRef(32))
                .withValue("patch-size", ConfigValueFactory.fromAnyRef(12)));
        assertEquals(new ImageStem(32, 6), on.stem());
        assertEquals("transformer(e32,h4,l1,ff64,p12,s1,stem32x6)", on.describe());
    }

    @Test
    void badSettingsAreRefusedNamingTheKey() {
        Config base = ConfigFactory.defaultReference().getConfig("troupe.model")
                .withValue("stem.channels", ConfigValueFactory.fromAnyRef(16));
        IllegalArgumentException divide = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(
                base.withValue("stem.cell-size", ConfigValueFactory.fromAnyRef(4))));
        assertTrue(divide.getMessage().contains("troupe.model.stem.cell-size = 4")
                && divide.getMessage().contains("troupe.model.patch-size = 6"), divide.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(
                base.withValue("stem.channels", ConfigValueFactory.fromAnyRef(-2))));
        assertTrue(negative.getMessage().contains("troupe.model.stem.channels"), negative.getMessage());
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(
                base.withValue("stem.channels", ConfigValueFactory.fromAnyRef("many"))));
        assertTrue(word.getMessage().contains("troupe.model.stem"), word.getMessage());
        IllegalArgumentException mlp = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.mlp(64, 64).withStem(STEM));
        assertTrue(mlp.getMessage().contains("troupe.model.stem.channels") && mlp.getMessage().contains("mlp"),
                mlp.getMessage());
    }

    private static ObservationBatch withOtherMission() {
        ObservationBatch b = AblationTest.base();
        int[] ids = b.ints(AblationTest.index("mission"));
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + (ids[i] + 2) % 7;
        }
        return b;
    }
}
