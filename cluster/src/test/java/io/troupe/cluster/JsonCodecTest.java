package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.troupe.cluster.json.JsonCodec;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cluster module's one JSON codec: names, escapes, non-finite numbers, the summary layout, and bad input. */
class JsonCodecTest {
    record Line(String text, long envSteps, @JsonProperty("mean_return_100") double meanReturn100, double whole,
                List<Integer> list, @JsonProperty("losses/policy_loss") float loss) {
    }

    record Body(String name, int count) {
    }

    record Checked(int count) {
        Checked {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + count);
            }
        }
    }

    @Test
    void writesSnakeCaseNamesEscapesAndNonFiniteAsNull() {
        Line line = new Line("a\"b\\c\n", 3, Double.NaN, 2.0, Arrays.asList(1, null, 3), Float.POSITIVE_INFINITY);
        assertEquals("{\"text\":\"a\\\"b\\\\c\\n\",\"env_steps\":3,\"mean_return_100\":null,\"whole\":2.0,"
                + "\"list\":[1,null,3],\"losses/policy_loss\":null}", JsonCodec.write(line));
    }

    @Test
    void prettyKeepsTheSummaryLayout() {
        assertEquals("{\n  \"name\": \"x\",\n  \"count\": 2\n}\n", JsonCodec.pretty(new Body("x", 2)));
        Line line = new Line("", 1, 0.5, 1, List.of(1, 2), 0);
        String pretty = JsonCodec.pretty(line);
        assertTrue(pretty.contains("\n  \"list\": [1, 2],\n"), pretty);
        assertTrue(pretty.contains("\n  \"mean_return_100\": 0.5,\n"), pretty);
        assertTrue(JsonCodec.pretty(new Line("", 1, 0.5, 1, List.of(), 0)).contains("\"list\": [],"));
    }

    @Test
    void readsRecordsAndNamesWhatIsWrong() {
        assertEquals(new Body("x", 2), JsonCodec.read("{\"name\": \"x\", \"count\": 2}", Body.class, "the body"));
        assertEquals(new Body(null, 0), JsonCodec.read("", Body.class, "the body"), "an empty body is {}");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.read("{\"nme\": \"x\"}", Body.class, "the body of POST /x"));
        assertTrue(unknown.getMessage().startsWith("the body of POST /x: unknown field \"nme\"")
                && unknown.getMessage().contains("name") && unknown.getMessage().contains("count"), unknown.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.read("{\"count\": \"3\"}", Body.class, "the body"));
        assertEquals("the body: \"count\" must be a whole number", type.getMessage());
        IllegalArgumentException number = assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.read("{\"name\": 3}", Body.class, "the body"));
        assertEquals("the body: \"name\" must be a string", number.getMessage(), "3 is not \"3\"");
        IllegalArgumentException list = assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.read("[1]", Body.class, "the body"));
        assertEquals("the body must be a JSON object, got [1]", list.getMessage());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.read("{\"count\": -1}", Checked.class, "the body"));
        assertEquals("the body: count must be >= 0, got -1", refused.getMessage(), "the constructor's own message");
        IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.readTree("{\"name\": ", "the answer"));
        assertTrue(malformed.getMessage().startsWith("the answer is not valid JSON"), malformed.getMessage());
        assertEquals(3, JsonCodec.tree(new Line("", 3, 0, 0, List.of(), 0)).get("env_steps").asLong());
    }
}
