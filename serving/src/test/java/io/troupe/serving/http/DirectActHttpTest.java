package io.troupe.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.ModelSource;
import io.troupe.serving.model.ServedPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The act routes' direct path ({@link ServingRoutes#handler}) answers exactly as the routes do: every request below is
 * sent twice over a raw socket, with a declared length (the direct path) and chunked (never direct: routed), and both
 * answers must have the same status and body; the direct path's counter and the request metrics count them. A body
 * that arrives as a stream, not whole, takes the direct path too and gets the same answer; a refused one is not read.
 */
class DirectActHttpTest {
    private static final String TOKEN = "serving-token-0123456789";
    private static final String ACT = "/v1/policies/cartpole/act";
    private static final String GOOD = "{\"observation\": {\"obs\": [0.01, 0.02, 0.03, 0.04]}, "
            + "\"outputs\": [\"probs\", \"value\", \"logp\"]}";
    private static ServingSettings settings;
    private static HttpFixture http;

    @BeforeAll
    static void start() {
        settings = ServingSettings.fromConfig(ConfigFactory.parseString("troupe.serving.max-body-size = 64KiB")
                .withFallback(ConfigFactory.load()), Map.of(ServingSettings.TOKEN_VARIABLE, TOKEN));
        http = new HttpFixture("serving-direct-act", settings);
        http.registry.add(ServedPolicy.start("cartpole", new ModelSource(EnvRegistry.defaults().spec("CartPole-v1"),
                ModelConfig.mlp(64, 64), 3), settings.batcher(), http.metrics));
    }

    @AfterAll
    static void stop() {
        http.close();
    }

    /** One request: what it is, its path, Host, Authorization (null: none) and body. */
    private record Case(String what, String path, String host, String authorization, String body, int status) {
    }

    /** Status line and body of one raw HTTP/1.1 request, its body declared by length or sent in two chunks. */
    private static String[] send(Case c, boolean chunked) throws IOException {
        byte[] body = c.body().getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("POST " + c.path() + " HTTP/1.1\r\nHost: " + c.host()
                + "\r\nContent-Type: application/json\r\nConnection: close\r\n");
        if (c.authorization() != null) {
            head.append("Authorization: ").append(c.authorization()).append("\r\n");
        }
        head.append(chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: " + body.length + "\r\n\r\n");
        try (Socket s = new Socket("127.0.0.1", http.server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            if (chunked) {
                int half = body.length / 2;
                for (int[] part : new int[][] {{0, half}, {half, body.length}}) {
                    if (part[1] > part[0]) {
                        String size = Integer.toHexString(part[1] - part[0]) + "\r\n";
                        out.write(size.getBytes(StandardCharsets.US_ASCII));
                        out.write(body, part[0], part[1] - part[0]);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(body);
            }
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int end = answer.indexOf("\r\n\r\n");
            assertTrue(end > 0, c.what() + ": not an HTTP answer: " + answer);
            return new String[] {answer.substring(0, answer.indexOf("\r\n")), answer.substring(end + 4)};
        }
    }

    private static long metric(String line) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(line) + " (\\d+)$").matcher(http.get("/metrics").body());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void theDirectPathAnswersEveryActRequestAsTheRoutesDo() throws Exception {
        int port = http.server.port();
        String host = "127.0.0.1:" + port;
        String bearer = "Bearer " + TOKEN;
        List<Case> cases = List.of(
                new Case("greedy act with outputs", ACT, host, bearer, GOOD, 200),
                new Case("sampled act with a seed", ACT, host, bearer,
                        "{\"observation\": {\"obs\": [0.1, 0, 0, 0]}, \"deterministic\": false, \"seed\": 9}", 200),
                new Case("act-batch", "/v1/policies/cartpole/act-batch", host, bearer,
                        "{\"observations\": [{\"obs\": [0, 0, 0, 0]}, {\"obs\": [0.2, 0, 0.1, 0]}], "
                                + "\"outputs\": [\"value\"]}", 200),
                new Case("a wrong length", ACT, host, bearer, "{\"observation\": {\"obs\": [0.1, 0.2, 0.3]}}", 400),
                new Case("a bad row of a batch", "/v1/policies/cartpole/act-batch", host, bearer,
                        "{\"observations\": [{\"obs\": [0, 0, 0, 0]}, {\"obs\": [0, 0, 0]}]}", 400),
                new Case("not JSON", ACT, host, bearer, "{\"observation\": ", 400),
                new Case("an empty body", ACT, host, bearer, "", 400),
                new Case("an unknown policy", "/v1/policies/nope/act", host, bearer, GOOD, 404),
                new Case("no token", ACT, host, null, GOOD, 401),
                new Case("a wrong token", ACT, host, "Bearer wrong-token-0000000000", GOOD, 401),
                new Case("another site's Host", ACT, "evil.example:" + port, bearer, GOOD, 421));
        String requests400 = "troupe_serving_requests_total{route=\"/v1/policies/{name}/act\",method=\"POST\","
                + "status=\"400\"}";
        long direct0 = metric("troupe_serving_direct_requests_total");
        long bad0 = metric(requests400);
        for (Case c : cases) {
            String[] direct = send(c, false);
            String[] routed = send(c, true);
            assertEquals("HTTP/1.1 " + c.status(), direct[0].substring(0, 12), c.what() + ": " + direct[1]);
            assertEquals(routed[0], direct[0], c.what());
            assertEquals(routed[1], direct[1], c.what());
        }
        assertEquals(cases.size(), metric("troupe_serving_direct_requests_total") - direct0,
                "every request with a declared length took the direct path, no chunked one did");
        assertEquals(2 * 3, metric(requests400) - bad0, "both paths count their answers by route and status");
    }

    /** The direct path reads a body that arrives in parts (a streamed entity of declared length) before answering. */
    @Test
    void aStreamedBodyOfDeclaredLengthGetsTheAnswerOfAWholeOne() throws Exception {
        ServingRoutes routes = new ServingRoutes(settings, http.registry, http.metrics, (name, path) ->
                CompletableFuture.failedFuture(new IllegalStateException("no loading here")), Runnable::run);
        org.apache.pekko.japi.function.Function<HttpRequest, java.util.concurrent.CompletionStage<HttpResponse>>
                handler = routes.handler().handler(http.kit.system());
        byte[] body = GOOD.getBytes(StandardCharsets.UTF_8);
        List<ByteString> parts = new ArrayList<>();
        for (int i = 0; i < body.length; i += 7) {
            parts.add(ByteString.fromArray(body, i, Math.min(7, body.length - i)));
        }
        HttpRequest whole = HttpRequest.create(ACT).withMethod(HttpMethods.POST)
                .addHeader(RawHeader.create("Authorization", "Bearer " + TOKEN))
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
        HttpRequest streamed = whole.withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.length,
                Source.from(parts)));
        assertTrue(streamed.entity().isDefault(), "a streamed entity of declared length");
        long direct0 = metric("troupe_serving_direct_requests_total");
        String expected = answer(handler.apply(whole));
        assertTrue(expected.startsWith("200 "), expected);
        assertEquals(expected, answer(handler.apply(streamed)));
        assertEquals(2, metric("troupe_serving_direct_requests_total") - direct0, "both took the direct path");
        // refused before its body is read, as the routes do: a body that never ends does not hold the 401 back
        HttpRequest endless = HttpRequest.create(ACT).withMethod(HttpMethods.POST)
                .addHeader(RawHeader.create("Authorization", "Bearer wrong-token-0000000000"))
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.length,
                        Source.<ByteString>maybe()));
        assertTrue(answer(handler.apply(endless)).startsWith("401 "));
    }

    private static String answer(java.util.concurrent.CompletionStage<HttpResponse> response) throws Exception {
        HttpResponse r = response.toCompletableFuture().get(30, TimeUnit.SECONDS);
        return r.status().intValue() + " " + r.entity().toStrict(10_000, http.kit.system()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS).getData().utf8String();
    }

    @Test
    void onlyActPathsWithAValidPolicyNameAreDirect() {
        assertEquals(new ServingRoutes.DirectAct("cartpole", false), ServingRoutes.DirectAct.of(ACT));
        assertEquals(new ServingRoutes.DirectAct("goto.v-2_x", true),
                ServingRoutes.DirectAct.of("/v1/policies/goto.v-2_x/act-batch"));
        for (String path : new String[] {"/v1/policies/act", "/v1/policies//act", "/v1/policies/a/b/act",
                "/v1/policies/cartpole/act/", "/v1/policies/cartpole/feedback", "/v1/policies", "/v2/policies/x/act",
                "/v1/policies/-x/act", "/v1/policies/cartpole/pin"}) {
            assertNull(ServingRoutes.DirectAct.of(path), path);
        }
    }
}
