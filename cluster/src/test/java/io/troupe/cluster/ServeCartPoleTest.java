package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.cluster.run.Evaluation;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.onnx.OnnxExporter;
import io.troupe.learners.model.PolicyModel;
import io.troupe.serving.PolicyService;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.CheckpointSource;
import io.troupe.serving.model.OnnxSource;
import io.troupe.serving.model.PolicySource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CartPole run trained here (about 20 s), served as {@code ./troupe serve --checkpoint RUN} serves it: a client
 * outside the JVM (python3, standard library only) balances the pole through the REST API, and the served greedy
 * actions are those of {@code ./troupe eval} on whole episodes.
 */
class ServeCartPoleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path runs;
    private static Path run;
    private static PolicyService service;

    @BeforeAll
    static void trainAndServe() throws Exception {
        Path conf = Path.of("..", "conf", "cartpole.conf");
        // trained on past the threshold (a 100-episode mean of 495, not 475): the greedy policy of a run stopped at
        // 475 sometimes averages below 475 (448.7 once), and the client's bar is the greedy policy's
        assertEquals(0, TroupeCli.commandLine().execute("train", "--config", conf.toString(), "--run-dir",
                runs.toString(), "--target", "495"));
        try (Stream<Path> s = Files.list(runs)) {
            run = s.findFirst().orElseThrow();
        }
        Config config = ConfigFactory.parseString("troupe.serving.port = 0").withFallback(ConfigFactory.load());
        service = PolicyService.start(config, ServingSettings.fromConfig(config, Map.of()),
                Map.<String, PolicySource>of("cartpole-v1", CheckpointSource.open(run)));
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void aPythonClientWithTheStandardLibraryBalancesThePoleThroughTheApi() throws Exception {
        Process p = new ProcessBuilder("python3", Path.of("..", "serving", "src", "test", "python",
                "cartpole_client.py").toString(), "--url", service.server().url(), "--policy", "cartpole-v1",
                "--episodes", "10", "--seed", "3").redirectErrorStream(true).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the python client did not finish in 300 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), out);
        JsonNode result = JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
        assertEquals(10, result.get("returns").size());
        assertTrue(result.get("mean_return").asDouble() >= 475, out);
        assertEquals(RunCheckpoint.open(run).policyVersion(), result.get("policy_versions").get(0).asLong());
    }

    @Test
    void servedGreedyActionsAreThoseOfEvalOnWholeEpisodes() throws Exception {
        RunCheckpoint checkpoint = RunCheckpoint.open(run);
        EnvRegistry registry = EnvRegistry.fromConfig(checkpoint.config());
        int episodes = 3;
        long seed = 12345;
        double evalMean;
        try (PolicyModel model = checkpoint.newModel(Device.cpu())) {
            evalMean = Evaluation.run(registry, checkpoint.envId(), checkpoint.envOverrides(), model, episodes, 1,
                    seed).meanReturn();
        }
        // the same episodes (one env, the same seed) with every action from the service
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Double> returns = new ArrayList<>();
        try (VectorEnv vec = VectorEnv.of(() -> registry.make(checkpoint.envId(), checkpoint.envOverrides()), 1)) {
            vec.setEpisodeListener((i, ret, len, term, success) -> returns.add(ret));
            vec.reset(seed);
            while (returns.size() < episodes) {
                ObjectNode body = JSON.createObjectNode();
                body.set("observation", ObservationJson.write(vec.observations().read(0),
                        checkpoint.spec().observationSpace()));
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(service.server().url()
                        + "/v1/policies/cartpole-v1/act")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                vec.step(new int[] {JSON.readTree(r.body()).get("action").asInt()});
            }
        }
        double servedMean = returns.subList(0, episodes).stream().mapToDouble(Double::doubleValue).average()
                .orElseThrow();
        assertEquals(evalMean, servedMean, 0.0, "served returns " + returns);
    }

    @Test
    void anExportedModelOnOnnxRuntimeServesTheCheckpointsActions() throws Exception {
        Path onnx = runs.resolve("export").resolve("policy.onnx");
        Files.createDirectories(onnx.getParent());
        RunCheckpoint checkpoint = RunCheckpoint.open(run);
        OnnxExporter.export(checkpoint, onnx, OnnxExporter.DEFAULT_OPSET);
        Config config = ConfigFactory.parseString("troupe.serving.port = 0").withFallback(ConfigFactory.load());
        Map<String, PolicySource> sources = new LinkedHashMap<>();
        sources.put("djl", CheckpointSource.open(run));
        sources.put("onnx", OnnxSource.open(onnx));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        EnvRegistry registry = EnvRegistry.fromConfig(checkpoint.config());
        try (PolicyService both = PolicyService.start(config, ServingSettings.fromConfig(config, Map.of()), sources);
             VectorEnv vec = VectorEnv.of(() -> registry.make(checkpoint.envId(), checkpoint.envOverrides()), 1)) {
            JsonNode info = JSON.readTree(client.send(HttpRequest.newBuilder(URI.create(both.server().url()
                    + "/v1/policies/onnx")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals("onnx", info.get("backend").asText());
            assertEquals(checkpoint.policyVersion(), info.get("policyVersion").asLong());
            List<Double> returns = new ArrayList<>();
            vec.setEpisodeListener((i, ret, len, term, success) -> returns.add(ret));
            vec.reset(7);
            int steps = 0;
            while (returns.isEmpty()) {
                ObjectNode body = JSON.createObjectNode();
                body.set("observation", ObservationJson.write(vec.observations().read(0),
                        checkpoint.spec().observationSpace()));
                int[] actions = new int[2];
                int k = 0;
                for (String name : List.of("djl", "onnx")) {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(both.server().url()
                            + "/v1/policies/" + name + "/act")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), r.body());
                    actions[k++] = JSON.readTree(r.body()).get("action").asInt();
                }
                assertEquals(actions[0], actions[1], "DJL and ONNX Runtime differ at step " + steps);
                vec.step(new int[] {actions[0]});
                steps++;
            }
            assertTrue(steps >= 100, "a whole episode of the trained policy: " + steps + " steps");
        }
    }

    @Test
    void theAdminTokenLoadsAndUnloadsACheckpointWhileServing() throws Exception {
        String admin = "load-admin-token-0123456789";
        Config config = ConfigFactory.parseString("troupe.serving.port = 0").withFallback(ConfigFactory.load());
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (PolicyService empty = PolicyService.start(config, ServingSettings.fromConfig(config,
                Map.of(ServingSettings.ADMIN_TOKEN_VARIABLE, admin)), Map.of())) {
            String url = empty.server().url();
            String load = "{\"name\": \"late\", \"checkpoint\": " + JSON.writeValueAsString(run.toString()) + "}";
            HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/policies"))
                    .POST(HttpRequest.BodyPublishers.ofString(load)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, refused.statusCode(), refused.body());
            assertEquals(503, client.send(HttpRequest.newBuilder(URI.create(url + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> loaded = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/policies"))
                    .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.ofString(load))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, loaded.statusCode(), loaded.body());
            assertEquals("CartPole-v1", JSON.readTree(loaded.body()).get("envId").asText());
            // a policy loaded while serving is monitored for drift as one served from the start (its profile was
            // recorded as it loaded): no served rows yet, the reference's features listed
            HttpResponse<String> drift = client.send(HttpRequest.newBuilder(URI.create(url
                    + "/v1/policies/late/drift")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, drift.statusCode(), drift.body());
            assertEquals(0, JSON.readTree(drift.body()).get("rows").asLong(), drift.body());
            assertEquals(4, JSON.readTree(drift.body()).get("features").size(), "CartPole's four features: "
                    + drift.body());
            assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(url + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> badPath = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/policies"))
                    .header("Authorization", "Bearer " + admin).POST(HttpRequest.BodyPublishers.ofString(
                            "{\"name\": \"other\", \"checkpoint\": \"/no/such/run\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, badPath.statusCode(), badPath.body());
            assertTrue(badPath.body().contains("/no/such/run"), badPath.body());
            HttpResponse<String> unloaded = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/policies/late"))
                    .header("Authorization", "Bearer " + admin).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, unloaded.statusCode(), unloaded.body());
            assertEquals(404, client.send(HttpRequest.newBuilder(URI.create(url + "/v1/policies/late")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void serveRefusesABadCheckpointWithOneLine() {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = TroupeCli.commandLine().execute("serve", "--checkpoint", runs.resolve("missing").toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(TroupeCli.USER_ERROR, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("does not exist"), err.toString());
    }
}
