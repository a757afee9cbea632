package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.core.ObservationBatch;
import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code troupe.model.ablate}: the denied modality never reaches the network, the others still do. */
class AblationTest {
    private static final ModelConfig SMALL = ModelConfig.transformer(16, 2, 1, 32, 6, 2);

    static int index(String name) {
        List<ObservationBatch.Modality> mods = ObservationBatch.modalitiesOf(ModelTest.GRID.observationSpace());
        for (int i = 0; i < mods.size(); i++) {
            if (mods.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    /** Four random GoToObject-like observations, and the same with one modality changed in every row. */
    static ObservationBatch base() {
        return RandomObservations.batch(ModelTest.GRID, 4, 7);
    }

    private static ObservationBatch withOtherMission() {
        ObservationBatch b = base();
        int[] ids = b.ints(index("mission"));
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 1 + (ids[i] + 2) % 7; // other words, never padding
        }
        return b;
    }

    static ObservationBatch withOtherImage() {
        ObservationBatch b = base();
        byte[] px = b.bytes(index("image"));
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (255 - (px[i] & 0xFF));
        }
        return b;
    }

    private static ObservationBatch withOtherState() {
        ObservationBatch b = base();
        float[] s = b.floats(index("state"));
        for (int i = 0; i < s.length; i++) {
            s[i] = 1f - s[i];
        }
        return b;
    }

    private static boolean sameOutputs(PolicyModel m, ObservationBatch a, ObservationBatch b) {
        PolicyModel.Output x = m.infer(a);
        PolicyModel.Output y = m.infer(b);
        return Arrays.equals(x.logits(), y.logits()) && Arrays.equals(x.values(), y.values());
    }

    @Test
    void theAblatedModalityDoesNotChangeTheOutputsAndTheOthersDo() {
        for (Ablation ablate : Ablation.values()) {
            try (PolicyModel m = PolicyModel.create(ModelTest.GRID, SMALL.withAblation(ablate), 3, Device.cpu())) {
                assertEquals(ablate == Ablation.TEXT, sameOutputs(m, base(), withOtherMission()),
                        ablate + ": logits and values depend on the mission unless text is ablated");
                assertEquals(ablate == Ablation.IMAGE, sameOutputs(m, base(), withOtherImage()),
                        ablate + ": logits and values depend on the image unless it is ablated");
                assertFalse(sameOutputs(m, base(), withOtherState()), ablate + ": the state always reaches it");
            }
        }
    }

    /** The learners' path (PPO, IMPALA, distillation build their minibatches with inputs()) sees the constant too. */
    @Test
    void trainingInputsCarryTheConstant() {
        try (PolicyModel m = PolicyModel.create(ModelTest.GRID, SMALL.withAblation(Ablation.TEXT), 3, Device.cpu());
             NDManager scope = m.manager().newSubManager()) {
            NDList in = m.inputs(scope, withOtherMission(), new int[] {2, 0});
            int[] mission = in.get(index("mission")).toIntArray();
            assertEquals(2 * 5, mission.length);
            assertArrayEquals(new int[10], mission, "every token is <pad>");
            float[] image = in.get(index("image")).toFloatArray();
            assertTrue(Arrays.stream(toDoubles(image)).anyMatch(v -> v != 0), "the image is untouched");
        }
    }

    private static double[] toDoubles(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    @Test
    void theSettingIsReadFromConfigAndABadValueNamesTheKey() {
        Config base = ConfigFactory.defaultReference().getConfig("troupe.model");
        assertEquals(Ablation.NONE, ModelConfig.fromConfig(base).ablate());
        ModelConfig text = ModelConfig.fromConfig(base.withValue("ablate", ConfigValueFactory.fromAnyRef("Text")));
        assertEquals(Ablation.TEXT, text.ablate());
        assertTrue(text.describe().endsWith("-ablate-text"), text.describe());
        assertEquals("transformer(e32,h4,l1,ff64,p6,s1)", ModelConfig.fromConfig(base).describe(),
                "no ablation: the model id is what it was before the switch existed");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromConfig(
                base.withValue("ablate", ConfigValueFactory.fromAnyRef("sound"))));
        assertTrue(e.getMessage().contains("troupe.model.ablate") && e.getMessage().contains("none, text, image"),
                e.getMessage());
    }

    @Test
    void anEnvWithoutTheModalityIsRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicyModel.create(
                ModelTest.CARTPOLE, SMALL.withAblation(Ablation.IMAGE), 1, Device.cpu()));
        assertTrue(e.getMessage().contains("troupe.model.ablate = image") && e.getMessage().contains("CartPole-v1"),
                e.getMessage());
    }
}
