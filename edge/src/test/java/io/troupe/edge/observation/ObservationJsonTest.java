package io.troupe.edge.observation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.core.ByteTensor;
import io.troupe.core.DType;
import io.troupe.core.FloatTensor;
import io.troupe.core.IntTensor;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Space;
import io.troupe.core.space.Text;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ObservationJsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Box CARTPOLE = Box.float32(new float[] {-4.8f, Float.NEGATIVE_INFINITY, -0.42f,
            Float.NEGATIVE_INFINITY}, new float[] {4.8f, Float.POSITIVE_INFINITY, 0.42f, Float.POSITIVE_INFINITY});
    private static final Text MISSION = Text.of(5, List.of("go", "to", "the", "red", "green", "ball", "key"));
    /** GoToObject's layout, smaller: image [3][2][2], a mission, a state vector in 0..1. */
    private static final Dict MULTI = Dict.of("image", Box.image(3, 2, 2), "mission", MISSION,
            "state", Box.uniform(0f, 1f, DType.FLOAT32, 3));
    private static final byte[] PIXELS = {0, 1, 2, 3, 10, 11, 12, 13, (byte) 200, (byte) 201, (byte) 254, (byte) 255};

    private static JsonNode json(String text) throws Exception {
        return MAPPER.readTree(text.replace('\'', '"'));
    }

    private static String base64() {
        return Base64.getEncoder().encodeToString(PIXELS);
    }

    private static ObservationException fails(String text, Space space) throws Exception {
        JsonNode node = json(text);
        return assertThrows(ObservationException.class, () -> ObservationJson.read(node, space));
    }

    @Test
    void readsAPlainBoxAsABareArrayOrItsObsField() throws Exception {
        Observation expected = Observation.of(FloatTensor.of(0.1f, -2f, 0.03f, 5f));
        assertEquals(expected, ObservationJson.read(json("[0.1, -2, 0.03, 5]"), CARTPOLE));
        assertEquals(expected, ObservationJson.read(json("{'obs': [0.1, -2, 0.03, 5]}"), CARTPOLE));
    }

    @Test
    void readsEveryModalityOfADictInBothForms() throws Exception {
        Observation expected = Observation.of(Map.of(
                "image", new ByteTensor(new int[] {3, 2, 2}, PIXELS),
                "mission", IntTensor.of(1, 2, 3, 4, 6),
                "state", FloatTensor.of(0f, 0.5f, 1f)));
        Observation fromBase64 = ObservationJson.read(json("{'image': '" + base64()
                + "', 'mission': 'Go to the  red ball', 'state': [0, 0.5, 1]}"), MULTI);
        Observation fromArrays = ObservationJson.read(json("{'state': [0, 0.5, 1], 'mission': [1, 2, 3, 4, 6],"
                + " 'image': [[[0, 1], [2, 3]], [[10, 11], [12, 13]], [[200, 201], [254, 255]]]}"), MULTI);
        for (Observation o : List.of(fromBase64, fromArrays)) {
            assertEquals(List.of("image", "mission", "state"), List.copyOf(o.tensors().keySet()), "space order");
            assertEquals(expected.tensor("image"), o.tensor("image"));
            assertEquals(expected.tensor("mission"), o.tensor("mission"));
            assertEquals(expected.tensor("state"), o.tensor("state"));
        }
        Observation shortIds = ObservationJson.read(json("{'image': '" + base64()
                + "', 'mission': [1, 2], 'state': [0, 0, 0]}"), MULTI);
        assertArrayEquals(new int[] {1, 2, 0, 0, 0}, ((IntTensor) shortIds.tensor("mission")).data(), "padded");
    }

    @Test
    void writeIsTheInverseOfRead() throws Exception {
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 20; i++) {
            Observation o = (Observation) MULTI.sample(rng);
            JsonNode written = ObservationJson.write(o, MULTI);
            assertTrue(written.get("image").isTextual(), "images as base64");
            assertEquals(o, ObservationJson.read(MAPPER.readTree(written.toString()), MULTI));
        }
        Observation cart = Observation.of(FloatTensor.of(0.1f, -2f, 0.03f, 5f));
        assertEquals("{\"obs\":[0.1,-2.0,0.03,5.0]}", ObservationJson.write(cart, CARTPOLE).toString());
        Observation twoD = Observation.of(new FloatTensor(new int[] {2, 2}, new float[] {1, 2, 3, 4}));
        Box box = Box.uniform(-10, 10, DType.FLOAT32, 2, 2);
        assertEquals("{\"obs\":[[1.0,2.0],[3.0,4.0]]}", ObservationJson.write(twoD, box).toString());
        assertEquals(twoD, ObservationJson.read(json("[1, 2, 3, 4]"), box), "flat row-major also reads");
    }

    @Test
    void aMissingModalityIsNamedWithTheFieldsThereAre() throws Exception {
        ObservationException e = fails("{'image': '" + base64() + "', 'state': [0, 0, 0]}", MULTI);
        assertEquals("mission", e.path());
        assertEquals("observation field mission: missing; the observation's fields are [image, mission, state]",
                e.getMessage());
    }

    @Test
    void anUnknownFieldIsNamed() throws Exception {
        ObservationException e = fails("{'image': '" + base64() + "', 'mission': 'go', 'state': [0, 0, 0],"
                + " 'colour': 1}", MULTI);
        assertEquals("colour", e.path());
        assertTrue(e.getMessage().contains("unknown field; the observation's fields are [image, mission, state]"),
                e.getMessage());
        assertEquals("extra", fails("{'obs': [0, 0, 0, 0], 'extra': 1}", CARTPOLE).path());
    }

    @Test
    void aWrongLengthOrShapeSaysWhatWasExpected() throws Exception {
        ObservationException vector = fails("[0.1, 0.2, 0.3]", CARTPOLE);
        assertEquals("obs", vector.path());
        assertTrue(vector.problem().contains("expected 4 elements") && vector.problem().contains("found 3"),
                vector.getMessage());

        ObservationException image = fails("{'image': [[[0, 1], [2, 3]], [[10, 11], [12]], [[1, 2], [3, 4]]],"
                + " 'mission': 'go', 'state': [0, 0, 0]}", MULTI);
        assertEquals("image[1][1]", image.path());
        assertTrue(image.problem().contains("expected 2 elements (dimension 2 of integers 0..255 of shape [3, 2, 2]"),
                image.getMessage());

        ObservationException bytes = fails("{'image': '" + Base64.getEncoder().encodeToString(new byte[11])
                + "', 'mission': 'go', 'state': [0, 0, 0]}", MULTI);
        assertEquals("image", bytes.path());
        assertTrue(bytes.problem().contains("decodes to 11 bytes; expected 12"), bytes.getMessage());

        ObservationException ids = fails("{'image': '" + base64() + "', 'mission': [1, 2, 3, 4, 5, 6],"
                + " 'state': [0, 0, 0]}", MULTI);
        assertTrue(ids.problem().contains("at most 5 token ids, found 6"), ids.getMessage());

        ObservationException words = fails("{'image': '" + base64() + "', 'mission': 'go to the red ball key',"
                + " 'state': [0, 0, 0]}", MULTI);
        assertEquals("mission", words.path());
        assertTrue(words.problem().contains("has 6 words") && words.problem().contains("at most 5"),
                words.getMessage());
    }

    @Test
    void aValueOutsideTheSpaceGetsTheSpacesViolation() throws Exception {
        ObservationException state = fails("{'image': '" + base64() + "', 'mission': 'go', 'state': [0, 1.5, 0]}",
                MULTI);
        assertEquals("state", state.path());
        assertTrue(state.problem().contains("element 1 = 1.5 is outside [0.0, 1.0]"), state.getMessage());

        ObservationException cart = fails("[5, 0, 0, 0]", CARTPOLE);
        assertTrue(cart.problem().contains("element 0 = 5.0 is outside [-4.8, 4.8]"), cart.getMessage());

        ObservationException token = fails("{'image': '" + base64() + "', 'mission': [1, 99],"
                + " 'state': [0, 0, 0]}", MULTI);
        assertEquals("mission", token.path());
        assertTrue(token.problem().contains("id 99, outside the vocabulary 0..7"), token.getMessage());

        ObservationException pixel = fails("{'image': [[[0, 1], [2, 3]], [[10, 11], [12, 256]], [[1, 2], [3, 4]]],"
                + " 'mission': 'go', 'state': [0, 0, 0]}", MULTI);
        assertEquals("image[1][1][1]", pixel.path());
        assertTrue(pixel.problem().contains("expected an integer 0..255 (uint8), found number 256"),
                pixel.getMessage());
    }

    @Test
    void malformedBase64IsNamed() throws Exception {
        ObservationException e = fails("{'image': 'not*base64!', 'mission': 'go', 'state': [0, 0, 0]}", MULTI);
        assertEquals("image", e.path());
        assertTrue(e.problem().startsWith("malformed base64") && e.problem().contains("12 uint8 bytes"),
                e.getMessage());
    }

    @Test
    void anUnknownWordIsNamedWithTheVocabulary() throws Exception {
        ObservationException e = fails("{'image': '" + base64() + "', 'mission': 'go to the blue ball',"
                + " 'state': [0, 0, 0]}", MULTI);
        assertEquals("mission", e.path());
        assertTrue(e.problem().contains("word 'blue'") && e.problem().contains("[go, to, the, red, green, ball, key]"),
                e.getMessage());
    }

    @Test
    void aNonFiniteNumberIsRefused() throws Exception {
        ObservationException e = fails("[0, 1e999, 0, 0]", CARTPOLE);
        assertEquals("obs[1]", e.path());
        assertTrue(e.problem().contains("expected a finite float32 number"), e.getMessage());
        assertEquals("obs[2]", fails("[0, 0, 1e39, 0]", CARTPOLE).path(), "beyond float32's range");
    }

    @Test
    void aWrongTypeSaysWhatWasExpected() throws Exception {
        assertEquals("observation: expected an object with fields [image, mission, state], found array [1]",
                fails("[1]", MULTI).getMessage());
        ObservationException text = fails("{'image': '" + base64() + "', 'mission': 3, 'state': [0, 0, 0]}", MULTI);
        assertTrue(text.problem().startsWith("expected a sentence (string) or an array of token ids"),
                text.getMessage());
        ObservationException id = fails("{'image': '" + base64() + "', 'mission': [1, 'to'], 'state': [0, 0, 0]}",
                MULTI);
        assertEquals("mission[1]", id.path());
        assertTrue(id.problem().contains("expected a token id (an integer), found string \"to\""), id.getMessage());
        ObservationException vector = fails("{'image': '" + base64() + "', 'mission': 'go', 'state': '0 0 0'}",
                MULTI);
        assertEquals("state", vector.path());
        assertTrue(vector.problem().startsWith("expected an array of numbers of shape [3]"), vector.getMessage());
        ObservationException element = fails("[0, true, 0, 0]", CARTPOLE);
        assertEquals("obs[1]", element.path());
        assertTrue(element.problem().contains("expected a number, found boolean true"), element.getMessage());
        ObservationException pixel = fails("{'image': [[[0, 1.5], [2, 3]], [[10, 11], [12, 13]], [[1, 2], [3, 4]]],"
                + " 'mission': 'go', 'state': [0, 0, 0]}", MULTI);
        assertEquals("image[0][0][1]", pixel.path());
        assertTrue(pixel.problem().contains("expected an integer 0..255 (uint8), found number 1.5"),
                pixel.getMessage());
    }

    @Test
    void aBatchHoldsEveryRowAndPrefixesErrorsWithTheIndex() throws Exception {
        ObservationBatch batch = ObservationJson.readBatch(json("[[0, 0, 0, 1], {'obs': [1, 2, 0.25, 3]}]"),
                CARTPOLE);
        assertEquals(2, batch.rows());
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 2, 0.25f, 3}, batch.floats(0));

        ObservationException e = assertThrows(ObservationException.class, () -> ObservationJson.readBatch(
                json("[{'image': '" + base64() + "', 'mission': 'go', 'state': [0, 0, 0]},"
                        + " {'image': '" + base64() + "', 'mission': 'go', 'state': [0, 2, 0]}]"), MULTI));
        assertEquals("[1].state", e.path());
        assertTrue(e.getMessage().startsWith("observation field [1].state: "), e.getMessage());
        ObservationException whole = assertThrows(ObservationException.class,
                () -> ObservationJson.readBatch(json("[{'obs': [0, 0, 0]}]"), CARTPOLE));
        assertEquals("[0].obs", whole.path());
        ObservationException top = assertThrows(ObservationException.class,
                () -> ObservationJson.readBatch(json("[{'x': 1}, [1]]"), MULTI));
        assertEquals("[0].x", top.path());
        ObservationException notArray = assertThrows(ObservationException.class,
                () -> ObservationJson.readBatch(json("{'obs': [0, 0, 0, 0]}"), CARTPOLE));
        assertTrue(notArray.getMessage().contains("expected a non-empty array of observations"),
                notArray.getMessage());
        ObservationException rootError = assertThrows(ObservationException.class,
                () -> ObservationJson.readBatch(json("[{'image': 1, 'mission': 'go', 'state': [0, 0, 0]}, 3]"),
                        MULTI));
        assertEquals("[0].image", rootError.path());
        ObservationException second = assertThrows(ObservationException.class,
                () -> ObservationJson.readBatch(json("[[0, 0, 0, 0], 3]"), CARTPOLE));
        assertEquals("[1].obs", second.path());
    }
}
