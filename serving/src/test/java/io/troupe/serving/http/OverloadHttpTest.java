package io.troupe.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.PolicyWeights;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.ServedPolicy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Overload answers 503 with Retry-After at once; weights swapped under load fail nothing and never go backwards. */
class OverloadHttpTest {
    private static final String BODY = "{\"observation\": {\"obs\": [1, 0, 0, 0]}, \"outputs\": [\"value\"]}";

    private static ServingSettings settings(String hocon, Map<String, String> env) {
        return ServingSettings.fromConfig(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()), env);
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAtOnceAndTheQueuedRequestsAreServed() throws Exception {
        ServingSettings s = settings("troupe.serving { job-queue-size = 4, max-batch-size = 1, max-batch-delay = 0 }",
                Map.of());
        HeldSource source = new HeldSource();
        try (HttpFixture http = new HttpFixture("overload", s)) {
            http.registry.add(ServedPolicy.start("held", source, s.batcher(), http.metrics)); // warmed up
            source.entered = new CountDownLatch(1);
            source.hold = new CountDownLatch(1);
            List<CompletableFuture<HttpResponse<String>>> accepted = new ArrayList<>();
            // one request in the worker's forward pass, then four fill the queue
            accepted.add(async(http));
            assertTrue(source.entered.await(30, TimeUnit.SECONDS));
            for (int i = 0; i < 4; i++) {
                accepted.add(async(http));
            }
            http.kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
                assertEquals(4, http.registry.get("held").queueDepth());
                return null;
            });
            // the next ones are refused while the worker is still held: an answer, not a timeout
            for (int i = 0; i < 5; i++) {
                HttpFixture.Answer refused = http.post("/v1/policies/held/act", BODY);
                assertEquals(503, refused.status(), refused.body());
                assertEquals("1", refused.raw().headers().firstValue("Retry-After").orElse(""));
                assertTrue(refused.error().contains("job-queue-size"), refused.body());
            }
            source.hold.countDown();
            for (CompletableFuture<HttpResponse<String>> f : accepted) {
                assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode());
            }
            assertTrue(http.get("/metrics").body().contains("troupe_serving_rejected_total{policy=\"held\"} 5"));
        }
    }

    private static CompletableFuture<HttpResponse<String>> async(HttpFixture http) {
        return http.client.sendAsync(HttpRequest.newBuilder(http.uri("/v1/policies/held/act"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(BODY))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aWeightsSwapUnderLoadFailsNoRequestAndVersionsNeverGoBackwardsOnAConnection() throws Exception {
        ServingSettings s = settings("troupe.serving { workers = 2, max-batch-size = 8, max-batch-delay = 1ms }",
                Map.of());
        try (HttpFixture http = new HttpFixture("swap", s)) {
            ServedPolicy policy = ServedPolicy.start("held", new HeldSource(), s.batcher(), http.metrics);
            http.registry.add(policy);
            int clients = 8;
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger answered = new AtomicInteger();
            List<String> problems = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                threads.add(new Thread(() -> {
                    // one client per thread, one keep-alive connection each (HTTP/1.1, requests in sequence)
                    HttpFixture.Answer last = null;
                    long lastVersion = 0;
                    while (!stop.get()) {
                        HttpFixture.Answer a = http.post("/v1/policies/held/act", BODY);
                        if (a.status() != 200) {
                            problems.add("client " + client + ": " + a.status() + " " + a.body());
                            continue;
                        }
                        long v = a.json().get("policyVersion").asLong();
                        if (v < lastVersion) {
                            problems.add("client " + client + " went from v" + lastVersion + " to v" + v);
                        }
                        if (a.json().get("value").asDouble() != v) {
                            problems.add("client " + client + ": version " + v + " answered with the weights of "
                                    + a.json().get("value"));
                        }
                        lastVersion = v;
                        answered.incrementAndGet();
                    }
                }));
            }
            threads.forEach(Thread::start);
            http.kit.createTestProbe().awaitAssert(Duration.ofSeconds(30), () -> {
                assertTrue(answered.get() > 50);
                return null;
            });
            for (long v = 2; v <= 30; v++) {
                int before = answered.get();
                assertEquals(ServedPolicy.Offer.SERVED, policy.offer(new PolicyWeights("held", v, new byte[1])));
                http.kit.createTestProbe().awaitAssert(Duration.ofSeconds(30), () -> {
                    assertTrue(answered.get() > before + 5);
                    return null;
                });
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertEquals(List.of(), problems);
            assertEquals(30, http.get("/v1/policies/held").json().get("policyVersion").asLong());
        }
    }

    @Test
    void inferenceNeedsTheServingTokenWhenOneIsSet() {
        String token = "serve-token-0123456789";
        ServingSettings s = settings("", Map.of(ServingSettings.TOKEN_VARIABLE, token));
        try (HttpFixture http = new HttpFixture("token", s)) {
            http.registry.add(ServedPolicy.start("held", new HeldSource(), s.batcher(), http.metrics));
            HttpFixture.Answer none = http.post("/v1/policies/held/act", BODY);
            assertEquals(401, none.status());
            assertTrue(none.error().contains("TROUPE_SERVE_TOKEN"), none.body());
            HttpFixture.Answer ok = http.send(HttpRequest.newBuilder(http.uri("/v1/policies/held/act"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(BODY)));
            assertEquals(200, ok.status(), ok.body());
            // without an admin token configured, loading is refused whatever is sent
            HttpFixture.Answer load = http.send(HttpRequest.newBuilder(http.uri("/v1/policies"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(
                            "{\"name\": \"x\", \"checkpoint\": \"/tmp\"}")));
            assertEquals(401, load.status());
            assertTrue(load.error().contains("no admin token"), load.body());
        }
    }

    @Test
    void readinessWaitsForAPolicy() {
        ServingSettings s = settings("", Map.of());
        try (HttpFixture http = new HttpFixture("ready", s)) {
            assertEquals(503, http.get("/health/ready").status());
            assertEquals(200, http.get("/health/alive").status());
            http.registry.add(ServedPolicy.start("held", new HeldSource(), s.batcher(), http.metrics));
            assertEquals(200, http.get("/health/ready").status());
        }
    }
}
