package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.core.EnvSpec;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.replay.shard.ReplaySettings;
import io.troupe.replay.shard.ReplaySharding;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.Test;

/** The admin API's agents routes on a node with two acting agents: list, pause one, resume it, scale. */
class AgentsAdminTest {
    private static final String TOKEN = "agents-test-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static JsonObject call(AdminServer s, String method, String path, String body, int expected)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private static JsonObject agent(AdminServer s, String id) throws Exception {
        for (var e : call(s, "GET", "/troupe/agents", null, 200).getAsJsonArray("agents")) {
            if (e.getAsJsonObject().get("agent").getAsString().equals(id)) {
                return e.getAsJsonObject();
            }
        }
        return null; // not registered (yet)
    }

    /** Polls the agent list until {@code condition} holds for {@code id} (at most 30 s). */
    private static JsonObject await(AdminServer s, String id, Predicate<JsonObject> condition, String what)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonObject a = agent(s, id);
        while (a == null || !condition.test(a)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + ": " + what + " did not happen in 30 s: " + a);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            a = agent(s, id);
        }
        return a;
    }

    @Test
    void listPauseResumeAndScale() throws Exception {
        Config config = EmbeddedNode.config("troupe.replay.table.rate-limiter.kind = min-size\n"
                + "troupe.agent.envs-per-agent = 4", ConfigFactory.load());
        ActorSystem<Void> system = EmbeddedNode.start("agents-admin", config);
        EnvRegistry registry = EnvRegistry.defaults();
        try (AdminServer api = AdminServer.start(system, new AdminSettings(0, "127.0.0.1", Optional.of(TOKEN), 100,
                Duration.ofSeconds(3)), registry, Map::of)) {
            var region = ReplaySharding.init(system, ReplaySettings.fromConfig(config.getConfig("troupe.replay")),
                    Optional.empty());
            EnvSpec spec = registry.spec("CartPole-v1");
            for (int i = 0; i < 2; i++) {
                system.systemActorOf(Agent.supervised(new Agent.Spec("agent-" + i, i, i, () -> registry.make(
                        "CartPole-v1"), () -> PolicyModel.create(spec, ModelConfig.mlp(16), 1, Device.cpu()),
                        AgentSettings.fromConfig(config), region, null)), "agent-" + i, Agent.dispatcher());
            }
            await(api, "agent-1", a -> a.get("steps").getAsLong() > 0, "acting");
            JsonArray all = call(api, "GET", "/troupe/agents", null, 200).getAsJsonArray("agents");
            assertEquals(2, all.size(), all.toString());
            JsonObject first = all.get(0).getAsJsonObject();
            assertEquals("agent-0", first.get("agent").getAsString());
            assertEquals("CartPole-v1", first.get("env").getAsString());
            assertTrue(first.get("node").getAsString().startsWith("pekko://agents-admin@127.0.0.1:"), first.toString());

            call(api, "POST", "/troupe/agents/pause", "{\"agents\": [\"agent-1\"]}", 202);
            long pausedAt = await(api, "agent-1", a -> a.get("state").getAsString().equals("paused"), "pausing")
                    .get("steps").getAsLong();
            long other = agent(api, "agent-0").get("steps").getAsLong();
            await(api, "agent-0", a -> a.get("steps").getAsLong() > other + 2000, "agent-0 acting on");
            assertEquals(pausedAt, agent(api, "agent-1").get("steps").getAsLong(), "a paused agent does not step");

            call(api, "POST", "/troupe/agents/resume", "{}", 202);
            await(api, "agent-1", a -> a.get("steps").getAsLong() > pausedAt + 100, "resuming");

            JsonObject scaled = call(api, "POST", "/troupe/agents/scale", "{\"count\": 1}", 202);
            assertEquals(1, scaled.get("active").getAsInt());
            await(api, "agent-1", a -> a.get("state").getAsString().equals("paused"), "scaling down");
            String state = agent(api, "agent-0").get("state").getAsString();
            assertTrue(state.equals("acting") || state.equals("waiting-for-replay"), "agent-0 is not paused: " + state);
            assertTrue(call(api, "POST", "/troupe/agents/scale", "{\"count\": 3}", 400).get("error").getAsString()
                    .contains("0..2"));
            assertTrue(call(api, "POST", "/troupe/agents/pause", "{\"agents\": [\"agent-9\"]}", 400).get("error")
                    .getAsString().contains("no agent 'agent-9'"));
            JsonObject replay = call(api, "GET", "/troupe/replay", null, 200);
            long inserts = 0;
            for (var shard : replay.getAsJsonArray("shards")) {
                inserts += shard.getAsJsonObject().get("inserts").getAsLong();
            }
            assertTrue(inserts > 0, "the agents' unrolls are in replay: " + replay);
            // the audit: every unroll an agent had confirmed is in replay, by sequence number
            JsonObject a0 = agent(api, "agent-0");
            long confirmed = a0.get("unrolls_confirmed").getAsLong();
            assertTrue(confirmed > 0, a0.toString());
            JsonObject stored = call(api, "GET", "/troupe/replay/stored?producer=agent-0", null, 200);
            assertTrue(!stored.get("truncated").getAsBoolean(), stored.toString());
            java.util.Set<Long> seqs = new java.util.HashSet<>();
            stored.getAsJsonArray("sequences").forEach(x -> seqs.add(x.getAsLong()));
            for (long q = 0; q < confirmed; q++) {
                assertTrue(seqs.contains(q), "confirmed unroll " + q + " of " + confirmed + " is in replay: " + stored);
            }
            JsonObject status = call(api, "GET", "/troupe/status", null, 200);
            assertTrue(status.get("replay_shards").getAsInt() >= 1 && status.get("replay_items").getAsLong() > 0,
                    status.toString());
        } finally {
            EmbeddedNode.stop(system);
        }
    }
}
