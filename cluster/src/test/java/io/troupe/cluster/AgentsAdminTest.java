package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.actors.Agent;
import io.troupe.actors.AgentSettings;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.run.JobSnapshot;
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
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

/** The admin API's agents routes on a node with two acting agents: list, pause one, resume it, scale. */
class AgentsAdminTest {
    private static final String TOKEN = "agents-test-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static JsonNode call(AdminServer s, String method, String path, String body, int expected)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expected, r.statusCode(), r.body());
        return JsonCodec.readTree(r.body(), "the answer");
    }

    private static JsonNode agent(AdminServer s, String id) throws Exception {
        for (JsonNode e : call(s, "GET", "/troupe/agents", null, 200).get("agents")) {
            if (e.get("agent").asText().equals(id)) {
                return e;
            }
        }
        return null; // not registered (yet)
    }

    /** Polls the agent list until {@code condition} holds for {@code id} (at most 30 s). */
    private static JsonNode await(AdminServer s, String id, Predicate<JsonNode> condition, String what)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode a = agent(s, id);
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
                Duration.ofSeconds(3)), registry, () -> JobSnapshot.node("test"))) {
            var region = ReplaySharding.init(system, ReplaySettings.fromConfig(config.getConfig("troupe.replay")),
                    Optional.empty());
            EnvSpec spec = registry.spec("CartPole-v1");
            for (int i = 0; i < 2; i++) {
                system.systemActorOf(Agent.supervised(new Agent.Spec("agent-" + i, i, i, () -> registry.make(
                        "CartPole-v1"), () -> PolicyModel.create(spec, ModelConfig.mlp(16), 1, Device.cpu()),
                        AgentSettings.fromConfig(config), region, null)), "agent-" + i, Agent.dispatcher());
            }
            // both listed and acting: each agent registers with the list on its own, in no set order
            await(api, "agent-0", a -> a.get("steps").asLong() > 0, "acting");
            await(api, "agent-1", a -> a.get("steps").asLong() > 0, "acting");
            JsonNode all = call(api, "GET", "/troupe/agents", null, 200).get("agents");
            assertEquals(2, all.size(), all.toString());
            JsonNode first = all.get(0);
            assertEquals("agent-0", first.get("agent").asText());
            assertEquals("CartPole-v1", first.get("env").asText());
            assertTrue(first.get("node").asText().startsWith("pekko://agents-admin@127.0.0.1:"), first.toString());

            call(api, "POST", "/troupe/agents/pause", "{\"agents\": [\"agent-1\"]}", 202);
            long pausedAt = await(api, "agent-1", a -> a.get("state").asText().equals("paused"), "pausing")
                    .get("steps").asLong();
            long other = agent(api, "agent-0").get("steps").asLong();
            await(api, "agent-0", a -> a.get("steps").asLong() > other + 2000, "agent-0 acting on");
            assertEquals(pausedAt, agent(api, "agent-1").get("steps").asLong(), "a paused agent does not step");

            call(api, "POST", "/troupe/agents/resume", "{}", 202);
            await(api, "agent-1", a -> a.get("steps").asLong() > pausedAt + 100, "resuming");

            JsonNode scaled = call(api, "POST", "/troupe/agents/scale", "{\"count\": 1}", 202);
            assertEquals(1, scaled.get("active").asInt());
            await(api, "agent-1", a -> a.get("state").asText().equals("paused"), "scaling down");
            String state = agent(api, "agent-0").get("state").asText();
            assertTrue(state.equals("acting") || state.equals("waiting-for-replay"), "agent-0 is not paused: " + state);
            assertTrue(call(api, "POST", "/troupe/agents/scale", "{\"count\": 3}", 400).get("error").asText()
                    .contains("0..2"));
            assertTrue(call(api, "POST", "/troupe/agents/pause", "{\"agents\": [\"agent-9\"]}", 400).get("error")
                    .asText().contains("no agent 'agent-9'"));
            JsonNode replay = call(api, "GET", "/troupe/replay", null, 200);
            long inserts = 0;
            for (var shard : replay.get("shards")) {
                inserts += shard.get("inserts").asLong();
            }
            assertTrue(inserts > 0, "the agents' unrolls are in replay: " + replay);
            // the audit: every unroll an agent had confirmed is in replay, by sequence number
            JsonNode a0 = agent(api, "agent-0");
            long confirmed = a0.get("unrolls_confirmed").asLong();
            assertTrue(confirmed > 0, a0.toString());
            JsonNode stored = call(api, "GET", "/troupe/replay/stored?producer=agent-0", null, 200);
            assertTrue(!stored.get("truncated").asBoolean(), stored.toString());
            Set<Long> seqs = new HashSet<>();
            stored.get("sequences").forEach(x -> seqs.add(x.asLong()));
            for (long q = 0; q < confirmed; q++) {
                assertTrue(seqs.contains(q), "confirmed unroll " + q + " of " + confirmed + " is in replay: " + stored);
            }
            JsonNode status = call(api, "GET", "/troupe/status", null, 200);
            assertTrue(status.get("replay_shards").asInt() >= 1 && status.get("replay_items").asLong() > 0,
                    status.toString());
        } finally {
            EmbeddedNode.stop(system);
        }
    }
}
