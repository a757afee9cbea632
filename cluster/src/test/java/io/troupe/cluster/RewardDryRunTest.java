package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.cluster.bench.LoopbackCluster;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.run.JobSnapshot;
import io.troupe.environments.EnvRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reward dry runs through the admin API on a real node: they run on {@value AdminSettings#DRY_RUN_DISPATCHER}'s
 * threads (never Pekko HTTP's or the default dispatcher), a test asking for more steps than
 * {@code troupe.admin.max-dry-run-steps} is refused with 400, a Java class gets the node's
 * {@code troupe.reward.java-call-budget}, and a dry run beyond {@code max-pending-dry-runs} is refused at once.
 */
class RewardDryRunTest {
    private static final String TOKEN = "dry-run-token-0123456789";
    private static final String ON_THREAD = DryRunRewards.OnThread.class.getName();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static LoopbackCluster cluster;
    private static AdminServer server;

    @BeforeAll
    static void start() throws Exception {
        Config node = ConfigFactory.empty()
                .withValue("troupe.admin.port", ConfigValueFactory.fromAnyRef(0))
                .withValue("troupe.admin.dry-run-steps", ConfigValueFactory.fromAnyRef(64))
                .withValue("troupe.admin.max-dry-run-steps", ConfigValueFactory.fromAnyRef(1000))
                .withValue("troupe.admin.max-pending-dry-runs", ConfigValueFactory.fromAnyRef(1))
                .withValue("troupe.reward.java-call-budget", ConfigValueFactory.fromAnyRef("50ms"));
        cluster = LoopbackCluster.start("dry-run-test", List.of(List.of("replay")), node);
        AdminSettings settings = AdminSettings.fromConfig(cluster.node(0).settings().config(),
                Map.of(AdminSettings.TOKEN_VARIABLE, TOKEN));
        server = AdminServer.start(cluster.node(0), settings, EnvRegistry.defaults(), () -> JobSnapshot.node("test"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        cluster.close();
    }

    private record Answer(int status, JsonNode body) {
    }

    private static HttpRequest post(String path, String body) {
        return HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static Answer answer(HttpResponse<String> r) {
        return new Answer(r.statusCode(), JsonCodec.readTree(r.body(), "the answer"));
    }

    private static Answer call(String path, String body) throws Exception {
        return answer(HTTP.send(post(path, body), HttpResponse.BodyHandlers.ofString()));
    }

    private static void assertOnDryRunThreads() {
        assertFalse(DryRunRewards.OnThread.THREADS.isEmpty(), "the reward was called");
        for (String thread : DryRunRewards.OnThread.THREADS) {
            assertTrue(thread.contains(AdminSettings.DRY_RUN_DISPATCHER), "a dry run called the reward on " + thread
                    + ", not on " + AdminSettings.DRY_RUN_DISPATCHER + ": " + DryRunRewards.OnThread.THREADS);
        }
    }

    @Test
    void dryRunsRunOnTheirOwnDispatcher() throws Exception {
        DryRunRewards.OnThread.THREADS.clear();
        Answer test = call("/troupe/rewards/CartPole-v1/test", "{\"class\": \"" + ON_THREAD + "\", \"steps\": 16}");
        assertEquals(200, test.status(), test.toString());
        assertEquals(16, test.body().get("steps").asInt());
        assertOnDryRunThreads();

        DryRunRewards.OnThread.THREADS.clear();
        Answer submitted = call("/troupe/rewards/CartPole-v1", "{\"class\": \"" + ON_THREAD + "\"}");
        assertEquals(201, submitted.status(), submitted.toString());
        assertEquals(64, submitted.body().get("dry_run").get("steps").asInt(), "troupe.admin.dry-run-steps");
        assertOnDryRunThreads();
    }

    @Test
    void moreStepsThanTheMaximumAreRefused() throws Exception {
        DryRunRewards.OnThread.THREADS.clear();
        Answer a = call("/troupe/rewards/CartPole-v1/test", "{\"class\": \"" + ON_THREAD + "\", \"steps\": 1001}");
        assertEquals(400, a.status(), a.toString());
        String error = a.body().get("error").asText();
        assertTrue(error.contains("\"steps\"") && error.contains("1000") && error.contains("max-dry-run-steps"),
                error);
        assertTrue(DryRunRewards.OnThread.THREADS.isEmpty(), "nothing ran");
        assertEquals(200, call("/troupe/rewards/CartPole-v1/test", "{\"expr\": \"1\", \"steps\": 1000}").status(),
                "the maximum itself is allowed");
    }

    @Test
    void aJavaRewardGetsTheNodesCallBudget() throws Exception {
        Answer a = call("/troupe/rewards/CartPole-v1/test", "{\"class\": \"" + DryRunRewards.Slow.class.getName()
                + "\", \"steps\": 8}");
        assertEquals(400, a.status(), a.toString());
        assertTrue(a.body().get("error").asText().contains("over its budget of 50 ms"), a.toString());
    }

    @Test
    void aDryRunBeyondThePendingLimitIsRefusedAtOnce() throws Exception {
        DryRunRewards.Gate.entered = new CountDownLatch(1);
        DryRunRewards.Gate.release = new CountDownLatch(1);
        CompletableFuture<HttpResponse<String>> held = HTTP.sendAsync(post("/troupe/rewards/CartPole-v1/test",
                "{\"class\": \"" + DryRunRewards.Gate.class.getName() + "\", \"steps\": 8}"),
                HttpResponse.BodyHandlers.ofString());
        try {
            assertTrue(DryRunRewards.Gate.entered.await(60, TimeUnit.SECONDS), "the first dry run started");
            Answer refused = call("/troupe/rewards/CartPole-v1/test", "{\"expr\": \"1\", \"steps\": 8}");
            assertEquals(503, refused.status(), refused.toString());
            assertTrue(refused.body().get("error").asText().contains("troupe.admin.max-pending-dry-runs"),
                    refused.toString());
        } finally {
            DryRunRewards.Gate.release.countDown();
        }
        held.get(60, TimeUnit.SECONDS);
        assertEquals(200, call("/troupe/rewards/CartPole-v1/test", "{\"expr\": \"1\", \"steps\": 8}").status(),
                "a finished dry run gives its place back");
    }
}
