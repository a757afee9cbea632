package io.troupe.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.Categorical;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.ModelSource;
import io.troupe.serving.model.ServedPolicy;
import java.net.http.HttpRequest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The policy service over loopback with the JDK's HTTP client: answers, errors, tokens, docs and metrics. */
class ServingHttpTest {
    private static final String ADMIN = "admin-token-0123456789";
    private static EnvSpec cartPole;
    private static EnvSpec goTo;
    private static ModelSource cartPoleSource;
    private static ModelSource goToSource;
    private static HttpFixture http;

    @BeforeAll
    static void start() {
        EnvRegistry envs = EnvRegistry.defaults();
        cartPole = envs.spec("CartPole-v1");
        goTo = envs.spec("GoToObject-v0");
        cartPoleSource = new ModelSource(cartPole, ModelConfig.mlp(64, 64), 3);
        goToSource = new ModelSource(goTo, ModelConfig.transformer(32, 2, 1, 64, 6, 1), 4);
        ServingSettings settings = ServingSettings.fromConfig(ConfigFactory.parseString(
                "troupe.serving.max-body-size = 64KiB").withFallback(ConfigFactory.load()), Map.of(
                ServingSettings.ADMIN_TOKEN_VARIABLE, ADMIN));
        http = new HttpFixture("serving-http", settings);
        http.registry.add(ServedPolicy.start("cartpole", cartPoleSource, settings.batcher(), http.metrics));
        http.registry.add(ServedPolicy.start("goto", goToSource, settings.batcher(), http.metrics));
    }

    @AfterAll
    static void stop() {
        http.close();
    }

    private static ObjectNode observation(Env env, long seed) {
        Observation o = env.reset(seed);
        return ObservationJson.write(o, env.spec().observationSpace());
    }

    @Test
    void actAnswersTheGreedyActionOfTheModelWithItsVersionAndOutputs() {
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel local = PolicyModel.create(cartPole, ModelConfig.mlp(64, 64), 3, Device.cpu())) {
            for (long seed = 0; seed < 5; seed++) {
                Observation o = env.reset(seed);
                ObjectNode body = HttpFixture.JSON.createObjectNode();
                body.set("observation", ObservationJson.write(o, cartPole.observationSpace()));
                body.putArray("outputs").add("probs").add("value").add("logp");
                HttpFixture.Answer a = http.post("/v1/policies/cartpole/act", body.toString());
                assertEquals(200, a.status(), a.body());
                ObservationBatch batch = ObservationBatch.forSpace(cartPole.observationSpace(), 1);
                batch.write(0, o);
                Policy.Evaluation e = local.evaluate(batch);
                assertEquals(Categorical.argmax(e.logits(), 0, 2), a.json().get("action").asInt());
                assertEquals(0, a.json().get("policyVersion").asLong());
                assertEquals(e.values()[0], a.json().get("value").floatValue(), 1e-5);
                JsonNode probs = a.json().get("probs");
                assertEquals(1.0, probs.get(0).asDouble() + probs.get(1).asDouble(), 1e-6);
                assertEquals(Math.log(probs.get(a.json().get("action").asInt()).asDouble()),
                        a.json().get("logp").asDouble(), 1e-6);
            }
        }
    }

    @Test
    void actBatchAnswersEachObservationInOrderAsActDoes() {
        try (Env env = EnvRegistry.defaults().make("GoToObject-v0")) {
            ArrayNode observations = HttpFixture.JSON.createArrayNode();
            for (long seed = 0; seed < 6; seed++) {
                observations.add(observation(env, seed));
            }
            HttpFixture.Answer batch = http.post("/v1/policies/goto/act-batch",
                    "{\"observations\": " + observations + ", \"outputs\": [\"value\"]}");
            assertEquals(200, batch.status(), batch.body());
            assertEquals(6, batch.json().get("actions").size());
            assertEquals(6, batch.json().get("values").size());
            for (int i = 0; i < 6; i++) {
                HttpFixture.Answer one = http.post("/v1/policies/goto/act", "{\"observation\": "
                        + observations.get(i) + "}");
                assertEquals(200, one.status(), one.body());
                assertEquals(batch.json().get("actions").get(i).asInt(), one.json().get("action").asInt());
            }
        }
    }

    @Test
    void aSampledActionIsReproducibleWithASeed() {
        String body = "{\"observation\": {\"obs\": [0.01, 0.02, 0.03, 0.04]}, \"deterministic\": false, \"seed\": 9}";
        int first = http.post("/v1/policies/cartpole/act", body).json().get("action").asInt();
        for (int i = 0; i < 5; i++) {
            assertEquals(first, http.post("/v1/policies/cartpole/act", body).json().get("action").asInt());
        }
    }

    private static void assertBad(String policy, String body, String field, String message) {
        HttpFixture.Answer a = http.post("/v1/policies/" + policy + "/act", body);
        assertEquals(400, a.status(), a.body());
        if (field != null) {
            assertEquals(field, a.json().path("field").asText(), a.body());
        }
        assertTrue(a.error().contains(message), "expected '" + message + "' in: " + a.error());
    }

    @Test
    void eachBadInputGets400NamingTheFieldAndWhatWasExpected() {
        ObjectNode valid;
        try (Env env = EnvRegistry.defaults().make("GoToObject-v0")) {
            valid = observation(env, 1);
        }
        // missing modality
        ObjectNode noMission = valid.deepCopy();
        noMission.remove("mission");
        assertBad("goto", "{\"observation\": " + noMission + "}", "observation.mission", "missing");
        // unknown word
        ObjectNode unknownWord = valid.deepCopy();
        unknownWord.put("mission", "go to the purple unicorn");
        assertBad("goto", "{\"observation\": " + unknownWord + "}", "observation.mission", "not in the vocabulary");
        // malformed base64
        ObjectNode badImage = valid.deepCopy();
        badImage.put("image", "not*base64!");
        assertBad("goto", "{\"observation\": " + badImage + "}", "observation.image",
                "character '*' (U+002A) at position 3 is not in the base64 alphabet");
        // an empty mission, and one so long that the message quotes only its start
        ObjectNode emptyMission = valid.deepCopy();
        emptyMission.put("mission", "  ");
        assertBad("goto", "{\"observation\": " + emptyMission + "}", "observation.mission", "the sentence is empty");
        ObjectNode longWord = valid.deepCopy();
        longWord.put("mission", "x".repeat(10_000));
        HttpFixture.Answer tooLong = http.post("/v1/policies/goto/act", "{\"observation\": " + longWord + "}");
        assertEquals(400, tooLong.status());
        assertTrue(tooLong.error().contains("(10000 characters)") && tooLong.body().length() < 1_000,
                "the message quotes the start of the word: " + tooLong.body().length() + " characters");
        // a base64 image of the wrong size
        ObjectNode shortImage = valid.deepCopy();
        shortImage.put("image", Base64.getEncoder().encodeToString(new byte[10]));
        assertBad("goto", "{\"observation\": " + shortImage + "}", "observation.image", "expected");
        // wrong length
        assertBad("cartpole", "{\"observation\": {\"obs\": [0.1, 0.2, 0.3]}}", "observation.obs", "expected 4");
        // wrong type
        assertBad("cartpole", "{\"observation\": {\"obs\": \"abc\"}}", "observation.obs", "expected an array");
        assertBad("cartpole", "{\"observation\": {\"obs\": [0.1, \"x\", 0.3, 0.4]}}", "observation.obs[1]",
                "expected a number");
        // non-finite
        assertBad("cartpole", "{\"observation\": {\"obs\": [0.1, 1e999, 0.3, 0.4]}}", "observation.obs[1]",
                "finite");
        // outside the space (CartPole's cart position is within +-4.8)
        assertBad("cartpole", "{\"observation\": {\"obs\": [100, 0, 0, 0]}}", "observation.obs", "is outside");
        // no observation, unknown fields, bad options
        assertBad("cartpole", "{}", "observation", "missing");
        assertBad("cartpole", "{\"observation\": {\"obs\": [0, 0, 0, 0]}, \"determinstic\": false}", "determinstic",
                "unknown field 'determinstic'");
        assertBad("cartpole", "{\"observation\": {\"obs\": [0, 0, 0, 0]}, \"deterministic\": \"yes\"}", "deterministic",
                "deterministic: expected true or false");
        assertBad("cartpole", "{\"observation\": {\"obs\": [0, 0, 0, 0]}, \"outputs\": [\"entropy\"]}", "outputs[0]",
                "outputs[0]: unknown output 'entropy'");
        assertBad("cartpole", "{\"observation\": {\"obs\": [0, 0, 0, 0]}, \"deterministic\": false, \"seed\": 1.5}",
                "seed", "seed: expected an integer");
        assertBad("cartpole", "{\"observation\": ", null, "not valid JSON");
        // anything after the JSON value: a second object would otherwise be dropped unread
        assertBad("cartpole", "{\"observation\": {\"obs\": [0, 0, 0, 0]}} {\"observation\": 1}", null,
                "not valid JSON");
        assertBad("cartpole", "{\"observation\": {\"obs\": [0, 0, 0, 0]}}xyz", null, "not valid JSON");
        // act-batch names the row
        HttpFixture.Answer a = http.post("/v1/policies/cartpole/act-batch",
                "{\"observations\": [{\"obs\": [0, 0, 0, 0]}, {\"obs\": [0, 0, 0]}]}");
        assertEquals(400, a.status(), a.body());
        assertEquals("observations[1].obs", a.json().path("field").asText());
    }

    /**
     * Feedback changes what the drift monitor reports without the admin token, so it takes JSON only: a web page can
     * post text/plain or a form to a loopback port without the browser asking first, but not JSON.
     */
    @Test
    void feedbackInAnythingButJsonGets415() {
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded")) {
            HttpFixture.Answer a = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/cartpole/feedback"))
                    .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString("{\"return\": -1000}")));
            assertEquals(415, a.status(), a.body());
            assertTrue(a.error().contains("Content-Type: application/json") && a.error().contains(type), a.body());
        }
    }

    @Test
    void anUnknownPolicyGets404ListingTheKnownOnes() {
        HttpFixture.Answer a = http.post("/v1/policies/nope/act", "{\"observation\": {\"obs\": [0, 0, 0, 0]}}");
        assertEquals(404, a.status());
        assertTrue(a.error().contains("'nope'") && a.error().contains("cartpole") && a.error().contains("goto"),
                a.body());
        assertEquals(404, http.get("/v1/policies/nope").status());
    }

    /** Every time (the body is read before the 413, so no reset can beat the answer), and the next request works. */
    @Test
    void aBodyOverTheLimitGets413() {
        String big = "{\"observation\": {\"obs\": [" + "0.0, ".repeat(20_000) + "0.0]}}";
        for (int i = 0; i < 10; i++) {
            HttpFixture.Answer a = http.post("/v1/policies/cartpole/act", big);
            assertEquals(413, a.status(), a.body());
            assertTrue(a.error().contains("max-body-size"), a.body());
        }
        assertEquals(200, http.post("/v1/policies/cartpole/act", "{\"observation\": {\"obs\": [0, 0, 0, 0]}}")
                .status());
    }

    @Test
    void policiesDescribeTheirEnvSpacesModelAndVersion() {
        HttpFixture.Answer list = http.get("/v1/policies");
        assertEquals(200, list.status());
        assertEquals(2, list.json().get("policies").size());
        JsonNode goto_ = http.get("/v1/policies/goto").json();
        assertEquals("GoToObject-v0", goto_.get("envId").asText());
        assertEquals("transformer", goto_.get("modelKind").asText());
        assertEquals(goToSource.parameters(), goto_.get("parameters").asLong());
        assertEquals("dict", goto_.at("/observationSpace/type").asText());
        assertTrue(goto_.at("/observationSpace/spaces/mission/vocabulary").size() > 2);
        assertTrue(goto_.at("/observationSpace/spaces/mission/maxTokens").asInt() > 0);
        assertEquals("discrete", goto_.at("/actionSpace/type").asText());
        assertTrue(goto_.get("loadedAt").asText().endsWith("Z"));
        assertEquals(0, goto_.get("policyVersion").asLong());
    }

    @Test
    void healthMetricsAndDocsAnswer() {
        assertEquals(200, http.get("/health/alive").status());
        assertEquals(200, http.get("/health/ready").status());
        http.post("/v1/policies/cartpole/act", "{\"observation\": {\"obs\": [0, 0, 0, 0]}}");
        HttpFixture.Answer m = http.get("/metrics");
        assertEquals(200, m.status());
        assertTrue(m.body().contains("troupe_serving_requests_total{route=\"/v1/policies/{name}/act\",method=\"POST\","
                + "status=\"200\"}"), m.body());
        assertTrue(m.body().contains("troupe_serving_request_seconds_bucket{route=\"/v1/policies/{name}/act\""));
        assertTrue(m.body().contains("troupe_serving_batch_size_count{policy=\"cartpole\"}"));
        assertTrue(m.body().contains("troupe_serving_queue_depth{policy=\"cartpole\"} 0"));
        assertTrue(m.body().contains("troupe_serving_policy_version{policy=\"goto\"} 0"));
        assertTrue(m.body().contains("troupe_serving_rejected_total{policy=\"cartpole\"} 0"));
        HttpFixture.Answer docs = http.send(HttpRequest.newBuilder(http.uri("/v1/docs/")).GET());
        assertEquals(200, docs.status());
        assertTrue(docs.body().contains("swagger-initializer.js"), docs.body());
        HttpFixture.Answer init = http.get("/v1/docs/swagger-initializer.js");
        assertEquals(200, init.status());
        assertTrue(init.body().contains("url: \"/v1/openapi.json\""), init.body());
        assertEquals(200, http.get("/v1/docs/swagger-ui-bundle.js").status());
        assertEquals(308, http.get("/v1/docs").status());
    }

    @Test
    void adminRoutesNeedTheAdminToken() {
        HttpFixture.Answer none = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/cartpole/pin"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"version\": 3}")));
        assertEquals(401, none.status());
        HttpFixture.Answer wrong = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/cartpole"))
                .header("Authorization", "Bearer wrong-token-0000000000").DELETE());
        assertEquals(401, wrong.status());
        assertEquals(200, http.get("/v1/policies/cartpole").status(), "refused requests change nothing");
        HttpFixture.Answer pinned = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/goto/pin"))
                .header("Authorization", "Bearer " + ADMIN).PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"version\": 5}")));
        assertEquals(200, pinned.status(), pinned.body());
        assertEquals(5, http.get("/v1/policies/goto").json().get("pinnedVersion").asLong());
        HttpFixture.Answer unpinned = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/goto/pin"))
                .header("Authorization", "Bearer " + ADMIN).DELETE());
        assertEquals(200, unpinned.status(), unpinned.body());
        assertTrue(http.get("/v1/policies/goto").json().path("pinnedVersion").isMissingNode());
        // "served": the version served now, whatever it is
        long served = http.get("/v1/policies/goto").json().get("policyVersion").asLong();
        HttpFixture.Answer atServed = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/goto/pin"))
                .header("Authorization", "Bearer " + ADMIN).PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"version\": \"served\"}")));
        assertEquals(200, atServed.status(), atServed.body());
        assertEquals(served, atServed.json().get("pinnedVersion").asLong());
        assertEquals(served, http.get("/v1/policies/goto").json().get("pinnedVersion").asLong());
        HttpFixture.Answer word = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/goto/pin"))
                .header("Authorization", "Bearer " + ADMIN).PUT(HttpRequest.BodyPublishers.ofString(
                        "{\"version\": \"latest\"}")));
        assertEquals(400, word.status(), word.body());
        assertTrue(word.body().contains("served") && word.body().contains("latest"), word.body());
        assertEquals(200, http.send(HttpRequest.newBuilder(http.uri("/v1/policies/goto/pin"))
                .header("Authorization", "Bearer " + ADMIN).DELETE()).status(), "unpinned for the other tests");
    }
}
