package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.Config;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.environments.EnvRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
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
        Config config = EmbeddedNode.config("", com.typesafe.config.ConfigFactory.load());
        system = EmbeddedNode.start("admin-test", config);
        EnvRegistry envs = EnvRegistry.defaults();
        server = AdminServer.start(system, new AdminSettings(0, "127.0.0.1", Optional.of(TOKEN), 500,
                Duration.ofSeconds(3)), envs, () -> Map.of("env_steps", 42L));
        tokenless = AdminServer.start(system, new AdminSettings(0, "127.0.0.1", Optional.empty(), 500,
                Duration.ofSeconds(3)), envs, Map::of);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        tokenless.close();
        EmbeddedNode.stop(system);
    }

    private record Answer(int status, JsonObject body) {
    }

    private static Answer call(AdminServer s, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), JsonParser.parseString(r.body()).getAsJsonObject());
    }

    private static long active() throws Exception {
        return call(server, "GET", "/troupe/rewards/CartPole-v1", null, null).body().get("active").getAsLong();
    }

    private static void assertError(Answer a, int status, String fragment) {
        assertEquals(status, a.status(), a.toString());
        assertTrue(a.body().get("error").getAsString().contains(fragment), a.body().toString());
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
                TOKEN), 413, "");
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
        assertEquals(400, test.body().get("steps").getAsInt());
        long before = active();
        Answer set = call(server, "POST", "/troupe/rewards/CartPole-v1",
                "{\"expr\": \"1 - abs(theta) / 0.21\", \"note\": \"shaped\", \"author\": \"ann\"}", TOKEN);
        assertEquals(201, set.status(), set.toString());
        long v = set.body().get("active").getAsLong();
        assertTrue(v > before, set.toString());
        assertTrue(set.body().getAsJsonObject("dry_run").get("mean").getAsDouble() > 0.3, set.toString());
        assertEquals(v, active());
        Answer back = call(server, "POST", "/troupe/rewards/CartPole-v1/rollback", "{}", TOKEN);
        assertEquals(200, back.status(), back.toString());
        assertEquals(before, back.body().get("active").getAsLong());
        Answer to = call(server, "POST", "/troupe/rewards/CartPole-v1/rollback", "{\"to\": " + v + "}", TOKEN);
        assertEquals(v, to.body().get("active").getAsLong());
        assertError(call(server, "POST", "/troupe/rewards/CartPole-v1/rollback", "{\"to\": 999}", TOKEN), 400,
                "no reward version 999");
        JsonObject version = call(server, "GET", "/troupe/rewards/CartPole-v1", null, null).body()
                .getAsJsonArray("versions").get((int) v).getAsJsonObject();
        assertEquals("ann", version.get("author").getAsString());
        assertEquals("shaped", version.get("note").getAsString());
    }

    @Test
    void statusHasTheJobAndTheMembersWithTheirRoles() throws Exception {
        Answer a = call(server, "GET", "/troupe/status", null, null);
        assertEquals(200, a.status());
        assertEquals(42, a.body().get("env_steps").getAsLong());
        JsonObject member = a.body().getAsJsonArray("members").get(0).getAsJsonObject();
        assertEquals("Up", member.get("status").getAsString());
        assertTrue(member.getAsJsonArray("roles").toString().contains("learner"), member.toString());
        Answer templates = call(server, "GET", "/troupe/rewards/GoToObject-v0/templates", null, null);
        assertTrue(templates.body().toString().contains("prev_distance"), templates.toString());
    }

    @Test
    void clusterMembersAndPrometheusMetrics() throws Exception {
        JsonObject members = call(server, "GET", "/troupe/cluster/members", null, null).body();
        assertEquals(1, members.getAsJsonArray("members").size(), members.toString());
        assertTrue(members.getAsJsonArray("members").get(0).getAsJsonObject().get("reachable").getAsBoolean());
        String self = members.get("self").getAsString();
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
        assertError(call(server, "GET", "/troupe/nothing-here", null, null), 404, "");
        // Pekko Management's cluster routes on the same port: reads open, changes need the token
        JsonObject managed = call(server, "GET", "/cluster/members", null, null).body();
        assertTrue(managed.toString().contains(self) && managed.has("selfNode"), managed.toString());
        HttpResponse<String> unauthenticated = HTTP.send(HttpRequest.newBuilder(URI.create(server.url()
                + "/cluster/members/" + java.net.URLEncoder.encode(self, java.nio.charset.StandardCharsets.UTF_8)))
                .method("PUT", HttpRequest.BodyPublishers.ofString("operation=Down"))
                .header("Content-Type", "application/x-www-form-urlencoded").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, unauthenticated.statusCode(), unauthenticated.body());
        assertEquals(1, call(server, "GET", "/troupe/cluster/members", null, null).body().getAsJsonArray("members")
                .size(), "nothing changed");
    }

    /** Leave and down through the API act on another node of the cluster. */
    @Test
    void leaveAndDownReachOtherMembers() throws Exception {
        try (io.troupe.cluster.bench.LoopbackCluster cluster = io.troupe.cluster.bench.LoopbackCluster.start(
                "admin-members", java.util.List.of(java.util.List.of("replay"), java.util.List.of("agent"),
                        java.util.List.of("agent")), "")) {
            try (AdminServer api = AdminServer.start(cluster.node(0), new AdminSettings(0, "127.0.0.1",
                    Optional.of(TOKEN), 100, Duration.ofSeconds(3)), EnvRegistry.defaults(), Map::of)) {
                String leaving = org.apache.pekko.cluster.typed.Cluster.get(cluster.node(1)).selfMember().address()
                        .toString();
                assertEquals(202, call(api, "POST", "/troupe/cluster/leave", "{\"address\": \"" + leaving + "\"}",
                        TOKEN).status());
                cluster.node(1).getWhenTerminated().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
                String downed = org.apache.pekko.cluster.typed.Cluster.get(cluster.node(2)).selfMember().address()
                        .toString();
                // this time through Pekko Management's route, with the token
                HttpResponse<String> down = HTTP.send(HttpRequest.newBuilder(URI.create(api.url() + "/cluster/members/"
                        + java.net.URLEncoder.encode(downed, java.nio.charset.StandardCharsets.UTF_8)))
                        .method("PUT", HttpRequest.BodyPublishers.ofString("operation=Down"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, down.statusCode(), down.body());
                cluster.node(2).getWhenTerminated().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
                // the downed member is listed as Down until the leader removes it
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                JsonObject left = call(api, "GET", "/troupe/cluster/members", null, null).body();
                while (left.getAsJsonArray("members").size() > 1 && System.nanoTime() < deadline) {
                    assertTrue(left.toString().contains("\"status\":\"Down\""), left.toString());
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
                    left = call(api, "GET", "/troupe/cluster/members", null, null).body();
                }
                assertEquals(1, left.getAsJsonArray("members").size(), left.toString());
            }
        }
    }
}
