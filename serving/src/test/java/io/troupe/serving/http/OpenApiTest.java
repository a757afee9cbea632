package io.troupe.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.ServedPolicy;
import java.net.http.HttpRequest;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The served OpenAPI document lists exactly the routes there are, and each of them answers. */
class OpenApiTest {
    @Test
    void theDocumentAndTheRoutesAgreeBothWaysAndEveryRouteAnswers() throws Exception {
        ServingSettings s = ServingSettings.fromConfig(ConfigFactory.load(), Map.of());
        try (HttpFixture http = new HttpFixture("openapi", s)) {
            http.registry.add(ServedPolicy.start("held", new HeldSource(), s.batcher(), http.metrics));
            HttpFixture.Answer doc = http.get("/v1/openapi.json");
            assertEquals(200, doc.status());
            assertEquals("3.0.3", doc.json().get("openapi").asText());
            Set<String> documented = new TreeSet<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = doc.json().get("paths").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> path = it.next();
                for (Iterator<String> m = path.getValue().fieldNames(); m.hasNext(); ) {
                    String method = m.next();
                    if (!method.equals("parameters")) {
                        documented.add(method.toUpperCase() + " " + path.getKey());
                    }
                }
            }
            Set<String> routes = new TreeSet<>();
            for (ServingRoute r : ServingRoute.values()) {
                routes.add(r.toString());
            }
            assertEquals(routes, documented);
            for (ServingRoute r : ServingRoute.values()) {
                String path = r.template().replace("{name}", "held");
                HttpRequest.Builder b = HttpRequest.newBuilder(http.uri(path)).header("Content-Type",
                        "application/json").method(r.method(), r.method().equals("GET") || r.method().equals("DELETE")
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"));
                HttpFixture.Answer a = http.send(b);
                // 401 (no token) and 400 (empty body) are the route's own answers; a missing route is 404 or 405
                assertNotEquals(404, a.status(), r + ": " + a.body());
                assertNotEquals(405, a.status(), r + ": " + a.body());
            }
        }
    }
}
