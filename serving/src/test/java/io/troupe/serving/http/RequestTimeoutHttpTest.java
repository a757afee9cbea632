package io.troupe.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.ServedPolicy;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.junit.jupiter.api.Test;

/**
 * {@code troupe.serving.request-timeout} answers what a held policy or a stalled body leaves unanswered, on the direct
 * act path and the routed one alike; Pekko HTTP's own request timeout is off on the serving port.
 */
class RequestTimeoutHttpTest {
    private static final String BODY = "{\"observation\": {\"obs\": [1, 0, 0, 0]}}";

    private static ServingSettings settings(String hocon) {
        return ServingSettings.fromConfig(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()),
                Map.of());
    }

    @Test
    void requestsAHeldPolicyLeavesUnansweredGet503WithRetryAfterFromTheServicesTimeoutNotPekkos() {
        // were Pekko's request timeout on for the serving port, it would answer first, with its own text
        Config pekko = ConfigFactory.parseString("pekko.http.server.request-timeout = 300ms")
                .withFallback(ConfigFactory.load());
        Duration timeout = Duration.ofSeconds(2);
        ServingSettings s = settings("troupe.serving { request-timeout = 2s, max-batch-size = 1 }");
        HeldSource source = new HeldSource();
        try (HttpFixture http = new HttpFixture("request-timeout", s, pekko)) {
            http.registry.add(ServedPolicy.start("held", source, s.batcher(), http.metrics)); // warmed up
            source.hold = new CountDownLatch(1);
            long start = System.nanoTime();
            HttpFixture.Answer direct = http.post("/v1/policies/held/act", BODY); // declared length: the direct path
            assertEquals(503, direct.status(), direct.body());
            assertTrue(System.nanoTime() - start >= timeout.toNanos(), "answered before request-timeout");
            assertEquals("1", direct.raw().headers().firstValue("Retry-After").orElse(""));
            assertTrue(direct.error().contains("policy 'held' did not answer within 2000 ms")
                    && direct.error().contains("troupe.serving.request-timeout"), direct.body());
            // a chunked body (no declared length) takes the routed path, timed out the same way
            java.net.http.HttpRequest.BodyPublisher chunked = java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                    () -> new ByteArrayInputStream(BODY.getBytes(StandardCharsets.UTF_8)));
            HttpFixture.Answer routed = http.send(java.net.http.HttpRequest.newBuilder(
                    http.uri("/v1/policies/held/act")).header("Content-Type", "application/json").POST(chunked));
            assertEquals(503, routed.status(), routed.body());
            assertTrue(routed.error().contains("troupe.serving.request-timeout"), routed.body());
            // both 503s counted once each as they went out; the direct one came from the batcher's own timeout
            String metrics = http.get("/metrics").body();
            assertTrue(metrics.contains("troupe_serving_requests_total{route=\"/v1/policies/{name}/act\","
                    + "method=\"POST\",status=\"503\"} 2\n"), metrics);
            assertTrue(metrics.matches("(?s).*troupe_serving_timed_out_total\\{policy=\"held\"} [12]\n.*"), metrics);
            source.hold.countDown();
            HttpFixture.Answer served = http.post("/v1/policies/held/act", BODY);
            assertEquals(200, served.status(), served.body());
            assertEquals(0, served.json().get("action").asInt());
        }
    }

    /** A routed request that no batcher times out (a load that never ends) gets the service's own 503 all the same. */
    @Test
    void aRoutedRequestLeftUnansweredGets503FromTheServicesTimer() throws Exception {
        String admin = "admin-token-0123456789abcdef";
        ServingSettings s = ServingSettings.fromConfig(ConfigFactory.parseString(
                "troupe.serving.request-timeout = 1s").withFallback(ConfigFactory.load()),
                Map.of(ServingSettings.ADMIN_TOKEN_VARIABLE, admin));
        try (HttpFixture http = new HttpFixture("routed-timeout", s)) {
            ServingRoutes routes = new ServingRoutes(s, http.registry, http.metrics,
                    (name, path) -> new CompletableFuture<>(), Runnable::run); // loads that never finish
            HttpResponse answer = routes.handler().handler(http.kit.system()).apply(HttpRequest.create("/v1/policies")
                    .withMethod(HttpMethods.POST).addHeader(RawHeader.create("Authorization", "Bearer " + admin))
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
                            "{\"name\": \"slow\", \"checkpoint\": \"/tmp\"}")))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(503, answer.status().intValue());
            assertEquals("1", answer.getHeader("Retry-After").map(HttpHeader::value).orElse(""));
            String body = answer.entity().toStrict(10_000, http.kit.system()).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS).getData().utf8String();
            assertTrue(body.contains("the service did not answer within 1000 ms (troupe.serving.request-timeout)"),
                    body);
            String metrics = http.metrics.render(Map.of());
            assertTrue(metrics.contains("troupe_serving_requests_total{route=\"/v1/policies\",method=\"POST\","
                    + "status=\"503\"} 1\n"), "the timer's 503 is counted:\n" + metrics);
        }
    }

    /** A declared body that stops arriving, sent by a client outside the JVM (python3's standard library). */
    @Test
    void aBodyThatStopsArrivingGets408NamingTheTimeout() throws Exception {
        ServingSettings s = settings("troupe.serving { request-timeout = 1s }");
        try (HttpFixture http = new HttpFixture("body-timeout-python", s)) {
            http.registry.add(ServedPolicy.start("held", new HeldSource(), s.batcher(), http.metrics));
            String script = String.join("\n",
                    "import socket, sys",
                    "body = sys.argv[2].encode()",
                    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=30)",
                    "s.sendall(b'POST /v1/policies/held/act HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n'",
                    "          b'Content-Type: application/json\\r\\nContent-Length: ' + str(len(body)).encode()",
                    "          + b'\\r\\n\\r\\n' + body[:10])",
                    "answer = b''",
                    "while b'request-timeout' not in answer:",
                    "    part = s.recv(4096)",
                    "    if not part: break",
                    "    answer += part",
                    "print(answer.decode())");
            Process p = new ProcessBuilder("python3", "-c", script, Integer.toString(http.server.port()), BODY)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.startsWith("HTTP/1.1 408"), out);
            assertTrue(out.contains("Content-Type: application/json"), out);
            assertTrue(out.contains("did not arrive whole within 1000 ms (troupe.serving.request-timeout)"), out);
        }
    }

    /**
     * A python3 client sends {@code head} and the first bytes of the body, then (with {@code close}) shuts its side of
     * the connection; what the server answered, read until the server closes or the answer is whole.
     */
    private static String rawClient(int port, String head, String body, boolean close) throws Exception {
        String script = String.join("\n",
                "import socket, sys",
                "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=30)",
                "s.sendall(sys.argv[2].replace('|', '\\r\\n').encode() + sys.argv[3].encode())",
                "if sys.argv[4] == 'close': s.shutdown(socket.SHUT_WR)",
                "answer = b''",
                "while b'}' not in answer:",
                "    part = s.recv(4096)",
                "    if not part: break",
                "    answer += part",
                "print(answer.decode())");
        Process p = new ProcessBuilder("python3", "-c", script, Integer.toString(port), head, body,
                close ? "close" : "keep").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** A chunked body that stops arriving gets the same 408 as a declared one, not the 503 of a service too slow. */
    @Test
    void aChunkedBodyThatStopsArrivingGets408() throws Exception {
        ServingSettings s = settings("troupe.serving { request-timeout = 1s }");
        try (HttpFixture http = new HttpFixture("chunked-timeout-python", s)) {
            http.registry.add(ServedPolicy.start("held", new HeldSource(), s.batcher(), http.metrics));
            String out = rawClient(http.server.port(), "POST /v1/policies/held/act HTTP/1.1|Host: 127.0.0.1|"
                    + "Content-Type: application/json|Transfer-Encoding: chunked||a|", "{\"observat\r\n", false);
            assertTrue(out.startsWith("HTTP/1.1 408"), out);
            assertTrue(out.contains("did not arrive whole within 1000 ms (troupe.serving.request-timeout)"), out);
        }
    }

    /**
     * A client that closes its side before its declared body is whole gets 400, on the direct act path and a routed
     * one alike, and the metrics count a client's error, not the service's.
     */
    @Test
    void aBodyCutShortByTheClientGets400NotA500() throws Exception {
        ServingSettings s = settings("troupe.serving { request-timeout = 5s }");
        try (HttpFixture http = new HttpFixture("body-cut-python", s)) {
            http.registry.add(ServedPolicy.start("held", new HeldSource(), s.batcher(), http.metrics));
            for (String route : new String[] {"/v1/policies/held/act", "/v1/policies/held/feedback"}) {
                String out = rawClient(http.server.port(), "POST " + route + " HTTP/1.1|Host: 127.0.0.1|"
                        + "Content-Type: application/json|Content-Length: " + (BODY.length() + 10) + "||", BODY, true);
                assertTrue(out.startsWith("HTTP/1.1 400"), route + ": " + out);
                assertTrue(out.contains("the request body could not be read whole"), route + ": " + out);
            }
            String metrics = http.metrics.render(Map.of());
            assertTrue(metrics.contains("route=\"/v1/policies/{name}/act\",method=\"POST\",status=\"400\"} 1\n")
                    && !metrics.contains("status=\"500\""), metrics);
        }
    }
}
