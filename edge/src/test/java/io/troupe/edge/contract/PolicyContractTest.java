package io.troupe.edge.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.core.DType;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Text;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyContractTest {
    private static final Dict SPACE = Dict.of("image", Box.image(3, 4, 4), "mission", Text.of(3, List.of("go", "red")),
            "state", Box.uniform(0, 1, DType.FLOAT32, 2));
    /** The env settings a run trained with: a registration's params and an override. */
    private static final JsonNode SETTINGS = settings();
    private static final PolicyContract CONTRACT = new PolicyContract(PolicyContract.FORMAT, "policy.onnx",
            "GoToObject-v0", "transformer", "id", 123, 45, "ab", "0.1", 17, SpaceJson.write(SPACE),
            SpaceJson.write(new Discrete(4)), PolicyContract.inputsOf(SPACE), PolicyContract.outputsOf(4),
            SETTINGS);

    @TempDir
    Path dir;

    @Test
    void readsBackWhatItWrites() throws Exception {
        Path file = dir.resolve(PolicyContract.FILE);
        CONTRACT.write(file);
        PolicyContract back = PolicyContract.read(file);
        assertEquals(CONTRACT.toJson(), back.toJson());
        assertEquals(SPACE, back.observation());
        assertEquals(4, back.actions());
        assertEquals(List.of("<pad>", "go", "red"), back.inputs().get(1).tokenizer().vocabulary());
        assertEquals(3, back.inputs().get(1).tokenizer().maxTokens());
        assertEquals("NCHW", back.inputs().get(0).layout());
        assertEquals(SETTINGS, back.envSettings());
        assertTrue(back.toJson().contains("\"view\" : \"agent\""), back.toJson());
        // an export without its run's settings leaves the field out, and reads back without it
        ObjectNode tree = (ObjectNode) new ObjectMapper().readTree(CONTRACT.toJson());
        tree.remove("envSettings");
        PolicyContract bare = PolicyContract.parse(tree.toString(), "p");
        assertEquals(null, bare.envSettings());
        assertFalse(bare.toJson().contains("envSettings"), bare.toJson());
    }

    private static JsonNode settings() {
        ObjectNode settings = JsonNodeFactory.instance.objectNode();
        settings.putObject("params").put("view", "agent");
        settings.put("max-episode-steps", 64);
        return settings;
    }

    @Test
    void aBadFieldIsNamed() throws Exception {
        String json = CONTRACT.toJson();
        IllegalArgumentException notJson = assertThrows(IllegalArgumentException.class,
                () -> PolicyContract.parse("{", "p.json"));
        assertTrue(notJson.getMessage().startsWith("policy contract p.json is not valid JSON"), notJson.getMessage());
        IllegalArgumentException array = assertThrows(IllegalArgumentException.class,
                () -> PolicyContract.parse("[1]", "p.json"));
        assertEquals("policy contract p.json: expected a JSON object, found array [1]", array.getMessage());
        IllegalArgumentException version = assertThrows(IllegalArgumentException.class,
                () -> PolicyContract.parse(json.replace("\"policyVersion\" : 45", "\"policyVersion\" : \"x\""), "p"));
        assertEquals("policy contract p: policyVersion: expected an integer, found string \"x\"", version.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> PolicyContract.parse(json.replaceFirst("\"shape\" : \\[ -1,", "\"shape\" : [ \"N\","), "p"));
        assertTrue(shape.getMessage().startsWith("policy contract p: inputs[0].shape[0]: expected an integer"),
                shape.getMessage());
        IllegalArgumentException format = assertThrows(IllegalArgumentException.class,
                () -> PolicyContract.parse(json.replace(PolicyContract.FORMAT, "troupe-policy/9"), "p"));
        assertEquals("policy contract p has format troupe-policy/9; expected troupe-policy/1", format.getMessage());
        IllegalArgumentException inputs = assertThrows(IllegalArgumentException.class,
                () -> PolicyContract.parse(json.replace("\"name\" : \"mission\"", "\"name\" : \"goal\""), "p"));
        assertTrue(inputs.getMessage().startsWith("policy contract p: inputs[1]: expected mission int64"),
                inputs.getMessage());
        ObjectNode listed = (ObjectNode) new ObjectMapper().readTree(json);
        listed.putArray("envSettings").add(SETTINGS);
        IllegalArgumentException settings = assertThrows(IllegalArgumentException.class,
                () -> PolicyContract.parse(listed.toString(), "p"));
        assertTrue(settings.getMessage().startsWith("policy contract p: envSettings: expected an object"),
                settings.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PolicyContract.read(dir.resolve("none.json")));
        assertTrue(Files.notExists(dir.resolve("none.json")));
    }
}
