package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.bench.LoopbackCluster;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.JobSnapshot;
import io.troupe.cluster.run.MetricsLine;
import io.troupe.cluster.run.RunMode;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.cluster.run.VersionReturns;
import io.troupe.environments.EnvRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin HTTP API on a real node and a real port: reads are open, every mutation needs the bearer token and is
 * refused with 401 (changing nothing) without it, malformed or hostile bodies get 400 with the reason, and a valid
 * reward becomes a new active version that rollback undoes.
 */
class AdminApiTest {
    private static final String TOKEN = "test-token-0123456789";
    private static ActorSystem<Void> system;
    private static AdminServer server;
    private static AdminServer tokenless;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Config config = EmbeddedNode.config("", ConfigFactory.load());
        system = EmbeddedNode.start("admin-test", config);
        EnvRegistry envs = EnvRegistry.defaults();
        server = AdminServer.start(system, new AdminSettings(0, "127.0.0.1", Optional.of(TOKEN), 500,
                Duration.ofSeconds(3)), envs, AdminApiTest::job);
        tokenless = AdminServer.start(system, new AdminSettings(0, "127.0.0.1", Optional.empty(), 500,
                Duration.ofSeconds(3)), envs, () -> JobSnapshot.node("test"));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        tokenless.close();
        EmbeddedNode.stop(system);
    }

    /** A job 42 steps in, with one reward version's returns. */
    static JobSnapshot job() {
        MetricsLine line = new MetricsLine(1.5, 42, 3, 21.0, null, 28, 1, 1, 0, 0, 0,
                Map.of("0", new VersionReturns(3, 21.0, 21.0)), 0,
                Map.of("losses/policy_loss", 0.25));
        return new JobSnapshot("CartPole-v1-ppo-s1-test", "CartPole-v1", Algorithm.PPO, RunMode.CLUSTER, null, line);
    }

    private record Answer(int status, JsonNode body) {
    }

    private static Answer call(AdminServer s, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), JsonCodec.readTree(r.body(), "the answer"));
    }

    private static long active() throws Exception {
        return call(server, "GET", "/troupe/rewards/CartPole-v1", null, null).body().get("active").asLong();
    }

    private static void assertError(Answer a, int status, String fragment) {
        assertEquals(status, a.status(), a.toString());
        assertTrue(!fragment.isBlank(), "an empty fragment matches every message");
        assertTrue(a.body().get("error").asText().contains(fragment), a.body().toString());
    }

    /**
     * Bodies over the 16 KiB limit (here 200 KB) get their 413 every time, and the client's next request on its pooled
     * connections is answered. The server reads such a body (up to 1 MiB) before answering, since a connection closed
     * with unread bytes is reset and a reset can beat the answer to the client; a body over 1 MiB is answered at once.
     * (In one full test run under load the 18 KB request below got no answer at all, "header parser received no
     * bytes"; this test passes on an idle machine with and without the read, so that cause is likely, not proven.)
     */
    @Test
    void oversizedBodiesAreAnswered413EveryTimeAndTheNextRequestWorks() throws Exception {
        long before = active();
        String big = "{\"expr\": \"" + "1+".repeat(100 * 1024) + "1\"}";
        for (int i = 0; i < 20; i++) {
            assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", big, TOKEN), 413,
                    "larger than 16384 bytes");
        }
        assertEquals(before, active(), "nothing was activated, and the pooled client still gets answers");
    }

    @Test
    void mutationsNeedTheTokenAndBadRequestsChangeNothing() throws Exception {
        String body = "{\"expr\": \"2\"}";
        long before = active();
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", body, null), 401, "Authorization: Bearer");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", body, "wrong-token-0123456789"), 401,
                "not valid");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1/rollback", "{}", null), 401, "Bearer");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1/test", body, null), 401, "Bearer");
        assertError(call(tokenless, "POST", "/troupe/rewards/CartPole-v1", body, TOKEN), 401, "no admin token");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "{\"expr\": ", TOKEN), 400, "not valid JSON");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "[1]", TOKEN), 400, "JSON object");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "{\"expr\": \"1\", \"class\": \"x.Y\"}",
                TOKEN), 400, "exactly one");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "{\"expr\": 3}", TOKEN), 400, "string");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "{\"exp\": \"1\"}", TOKEN), 400,
                "unknown field \"exp\"");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "{\"expr\": \"" + "1+".repeat(9000) + "1\"}",
                TOKEN), 413, "larger than 16384 bytes");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1",
                "{\"expr\": \"java.lang.Runtime.getRuntime().exec('rm')\"}", TOKEN), 400, "column");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "{\"expr\": \"log(theta)\"}", TOKEN), 400,
                "returned NaN");
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1", "{\"class\": \"java.lang.Runtime\"}", TOKEN),
                400, "does not implement");
        assertError(call(server, "POST", "/troupe/rewards/Nope-v0", body, TOKEN), 404, "known ids");
        assertEquals(before, active(), "nothing was activated");
    }

    @Test
    void submitTestAndRollBack() throws Exception {
        Answer test = call(server, "POST", "/troupe/rewards/CartPole-v1/test",
                "{\"expr\": \"1 - abs(theta) / 0.21\", \"steps\": 400}", TOKEN);
        assertEquals(200, test.status(), test.toString());
        assertEquals(400, test.body().get("steps").asInt());
        long before = active();
        Answer set = call(server, "POST", "/troupe/rewards/CartPole-v1",
                "{\"expr\": \"1 - abs(theta) / 0.21\", \"note\": \"shaped\", \"author\": \"ann\"}", TOKEN);
        assertEquals(201, set.status(), set.toString());
        long v = set.body().get("active").asLong();
        assertTrue(v > before, set.toString());
        assertTrue(set.body().get("dry_run").get("mean").asDouble() > 0.3, set.toString());
        assertEquals(v, active());
        Answer back = call(server, "POST", "/troupe/rewards/CartPole-v1/rollback", "{}", TOKEN);
        assertEquals(200, back.status(), back.toString());
        assertEquals(before, back.body().get("active").asLong());
        Answer to = call(server, "POST", "/troupe/rewards/CartPole-v1/rollback", "{\"to\": " + v + "}", TOKEN);
        assertEquals(v, to.body().get("active").asLong());
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1/rollback", "{\"to\": 999}", TOKEN), 400,
                "no reward version 999");
        JsonNode version = call(server, "GET", "/troupe/rewards/CartPole-v1", null, null).body()
                .get("versions").get((int) v);
        assertEquals("ann", version.get("author").asText());
        assertEquals("shaped", version.get("note").asText());
    }

    @Test
    void statusHasTheJobAndTheMembersWithTheirRoles() throws Exception {
        Answer a = call(server, "GET", "/troupe/status", null, null);
        assertEquals(200, a.status());
        assertEquals(42, a.body().get("env_steps").asLong());
        assertEquals("CartPole-v1-ppo-s1-test", a.body().get("run_id").asText());
        assertEquals("ppo", a.body().get("algorithm").asText());
        assertEquals(0.25, a.body().get("losses/policy_loss").asDouble(), "the learner's figures, flat");
        assertEquals(3, a.body().get("returns_by_reward_version").get("0").get("episodes").asLong());
        JsonNode member = a.body().get("members").get(0);
        assertEquals("Up", member.get("status").asText());
        assertTrue(member.get("roles").toString().contains("learner"), member.toString());
        Answer templates = call(server, "GET", "/troupe/rewards/GoToObject-v0/templates", null, null);
        assertTrue(templates.body().toString().contains("prev_distance"), templates.toString());
    }

    @Test
    void clusterMembersAndPrometheusMetrics() throws Exception {
        JsonNode members = call(server, "GET", "/troupe/cluster/members", null, null).body();
        assertEquals(1, members.get("members").size(), members.toString());
        assertTrue(members.get("members").get(0).get("reachable").asBoolean());
        String self = members.get("self").asText();
        assertError(call(server, "POST", "/troupe/cluster/leave", "{\"address\": \"" + self + "\"}", null), 401,
                "Bearer");
        assertError(call(server, "POST", "/troupe/cluster/down", "{\"address\": \"not an address\"}", TOKEN), 400,
                "not a member address");
        assertError(call(server, "POST", "/troupe/cluster/down", "{\"address\": \"pekko://troupe@10.9.9.9:1\"}",
                TOKEN), 404, "not a member");
        HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/troupe/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("troupe_env_steps 42\n"), metrics.body());
        assertTrue(metrics.body().contains("troupe_cluster_members{status=\"up\"} 1\n"), metrics.body());
        assertTrue(metrics.body().contains("troupe_jvm_heap_used_bytes "), metrics.body());
        assertError(call(server, "GET", "/troupe/nothing-here", null, null), 404, "could not be found");
        // Pekko Management's cluster routes on the same port: reads open, changes need the token
        JsonNode managed = call(server, "GET", "/cluster/members", null, null).body();
        assertTrue(managed.toString().contains(self) && managed.has("selfNode"), managed.toString());
        HttpResponse<String> unauthenticated = HTTP.send(HttpRequest.newBuilder(URI.create(server.url()
                + "/cluster/members/" + URLEncoder.encode(self, StandardCharsets.UTF_8)))
                .method("PUT", HttpRequest.BodyPublishers.ofString("operation=Down"))
                .header("Content-Type", "application/x-www-form-urlencoded").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, unauthenticated.statusCode(), unauthenticated.body());
        assertEquals(1, call(server, "GET", "/troupe/cluster/members", null, null).body().get("members")
                .size(), "nothing changed");
    }

    /** Leave and down through the API act on another node of the cluster. */
    @Test
    void leaveAndDownReachOtherMembers() throws Exception {
        try (LoopbackCluster cluster = LoopbackCluster.start(
                "admin-members", List.of(List.of("replay"), List.of("agent"),
                        List.of("agent")), ConfigFactory.empty())) {
            try (AdminServer api = AdminServer.start(cluster.node(0), new AdminSettings(0, "127.0.0.1",
                    Optional.of(TOKEN), 100, Duration.ofSeconds(3)), EnvRegistry.defaults(), () -> JobSnapshot.node("test"))) {
                String leaving = Cluster.get(cluster.node(1)).selfMember().address()
                        .toString();
                assertEquals(202, call(api, "POST", "/troupe/cluster/leave", "{\"address\": \"" + leaving + "\"}",
                        TOKEN).status());
                cluster.node(1).getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
                String downed = Cluster.get(cluster.node(2)).selfMember().address()
                        .toString();
                // this time through Pekko Management's route, with the token
                HttpResponse<String> down = HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + "/cluster/members/"
                        + URLEncoder.encode(downed, StandardCharsets.UTF_8)))
                        .method("PUT", HttpRequest.BodyPublishers.ofString("operation=Down"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, down.statusCode(), down.body());
                cluster.node(2).getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
                // the downed member is listed as Down until the leader removes it
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                JsonNode left = call(api, "GET", "/troupe/cluster/members", null, null).body();
                while (left.get("members").size() > 1 && System.nanoTime() < deadline) {
                    assertTrue(left.toString().contains("\"status\":\"Down\""), left.toString());
                    LockSupport.parkNanos(100_000_000L);
                    left = call(api, "GET", "/troupe/cluster/members", null, null).body();
                }
                assertEquals(1, left.get("members").size(), left.toString());
            }
        }
    }
}
