package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.troupe.cluster.bench.ActingBench;
import io.troupe.cluster.bench.ClusterBench;
import io.troupe.cluster.bench.LearnerBench;
import io.troupe.cluster.bench.RewardBench;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.replay.bench.ReplayBench;
import java.util.ArrayList;
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

    record Required(String name) {
        Required {
            if (name == null) {
                throw new IllegalArgumentException("the body needs \"name\"");
            }
        }
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
        IllegalArgumentException misspelt = assertThrows(IllegalArgumentException.class,
                () -> JsonCodec.read("{\"nam\": \"x\"}", Required.class, "the body"));
        assertEquals("the body: unknown field \"nam\"; expected [name]", misspelt.getMessage(),
                "the misspelt field is named, not the constructor's complaint about the missing one");
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

    private static List<String> keys(Object record) {
        List<String> out = new ArrayList<>();
        JsonCodec.tree(record).fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The bench results' JSON names, as the README and scripts read them (snake_case must not eat an underscore). */
    @Test
    void benchResultsKeepTheirNames() {
        assertEquals(List.of("expr", "expr_ns_per_step", "java_ns_per_step", "model", "acting_steps_per_s_builtin",
                "acting_steps_per_s_expr", "acting_ratio_expr_vs_builtin", "swaps", "swap_propagation_ms_p50",
                "swap_propagation_ms_p99", "swap_propagation_ms_max"),
                keys(new RewardBench.Result("1", 1, 1, "m", 1, 1, 1, 1, 1, 1, 1)));
        assertEquals(List.of("nodes", "model", "agents", "envs_per_agent", "rebalance_s", "acting_steps_per_s",
                "weights_bytes", "weights_publish_ms_p50", "weights_publish_ms_p99"),
                keys(new ClusterBench.Result(3, "m", 1, 1, 1, 1, 1, 1, 1)));
        assertEquals(List.of("env", "model", "agents", "envs_per_agent", "inference_ceiling_obs_per_s",
                "acting_steps_per_s", "acting_vs_ceiling", "acting_vs_ceiling_cpu", "acting_vs_ceiling_rounds",
                "pipeline_warm_up_s", "ceiling_warm_up_s", "node_batched_inference_obs_per_s",
                "per_agent_vs_node_batched", "train_steps_per_s"),
                keys(new ActingBench.Result("e", "m", 1, 1, 1, 1, 1, 1, List.of(1.0), 1, 1, 1, 1, 1)));
        assertEquals(List.of("uniform_insert_per_s", "prioritized_insert_per_s", "prioritized_sample_items_per_s",
                "priority_update_per_s", "kryo_roundtrip_mb_per_s", "kryo_bytes_per_step", "shard_insert_steps_per_s",
                "wal_insert_steps_per_s", "wal_vs_memory"), keys(new ReplayBench.Result(1, 1, 1, 1, 1, 1, 1, 1, 1)));
        assertEquals(List.of("updates_per_s", "samples_per_s", "parameters", "weights_bytes", "publish_ms", "device"),
                keys(new LearnerBench.Figures(1, 1, 1, 1, 1, "cpu()")));
    }
}
