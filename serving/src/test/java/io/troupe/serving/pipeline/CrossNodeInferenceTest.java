package io.troupe.serving.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import io.troupe.core.Categorical;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.serving.PolicyService;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.http.ServingServer;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.ServedPolicy;
import io.troupe.transport.testing.TestNodes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A policy served by pipeline stages on other nodes answers what the whole policy answers on one node. Three real
 * nodes on loopback form a cluster: the front node serves HTTP and holds no parameters; stage actors on the other two
 * (and the front, for three stages) each hold their slice, loaded from the whole model's weights, and pass activations
 * over Artery in Kryo messages (cut small here, so a batch crosses in several messages). A run's checkpoint is served
 * as {@code ./troupe serve} serves it: stages load their slices from it, and the policy service, a fourth node,
 * answers from them. Then a stage stops: requests are refused with messages naming the setting and the stage, never
 * left hanging.
 */
class CrossNodeInferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** GoToObject's job model with four blocks instead of one, so that it splits into 2 or 3 stages. */
    private static final ModelConfig MODEL = ModelConfig.transformer(32, 4, 4, 64, 6, 1);
    private static final String EXTRA = """
            troupe.serving.pipeline.timeout = 3s
            troupe.serving.pipeline.message-bytes = 16KiB
            """;
    private static ActorTestKit front;
    private static ActorTestKit nodeA;
    private static ActorTestKit nodeB;
    private static EnvSpec goTo;
    private static EnvSpec cartPole;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() {
        front = ActorTestKit.create("troupe-serve", TestNodes.node(List.of("serve"), EXTRA));
        nodeA = ActorTestKit.create("troupe-serve", TestNodes.node(List.of("serve"), EXTRA));
        nodeB = ActorTestKit.create("troupe-serve", TestNodes.node(List.of("agent"), EXTRA));
        TestNodes.formCluster(front, nodeA, nodeB);
        EnvRegistry envs = EnvRegistry.defaults();
        goTo = envs.spec("GoToObject-v0");
        cartPole = envs.spec("CartPole-v1");
    }

    @AfterAll
    static void stop() {
        for (ActorTestKit kit : List.of(nodeB, nodeA, front)) {
            kit.shutdownTestKit();
        }
    }

    private static PipelineSettings settings(int stages) {
        return PipelineSettings.fromConfig(front.system().settings().config()).withStages(stages);
    }

    /** Starts stage k of {@code stages} on {@code nodes.get(k)} and waits until the front node sees all of them. */
    private static List<ActorRef<StageActor.Command>> startStages(List<ActorTestKit> nodes, EnvSpec spec,
                                                                  PolicyWeights weights, String tag) {
        int k = nodes.size();
        List<ActorRef<StageActor.Command>> refs = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            refs.add(nodes.get(s).spawn(StageActor.create(spec, MODEL, s, k, weights, settings(k)),
                    "stage-" + tag + "-" + s + "-of-" + k, PipelineSettings.dispatcher()));
        }
        TestProbe<Object> probe = front.createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(20), () -> {
            StagedPolicy.findStages(front.system(), weights.modelId(), weights.version(), settings(k));
            return null;
        });
        return refs;
    }

    private static ObservationBatch batch(Env env, EnvSpec spec, int rows, long seed) {
        ObservationBatch b = ObservationBatch.forSpace(spec.observationSpace(), rows);
        for (int r = 0; r < rows; r++) {
            b.write(r, env.reset(seed + r));
        }
        return b;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static JsonNode post(String url, String body, int expectedStatus) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(expectedStatus, r.statusCode(), r.body());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void stagesOnOtherNodesAnswerAsTheWholePolicyOnOneNode() {
        for (int k = 2; k <= 3; k++) {
            for (EnvSpec spec : List.of(goTo, cartPole)) {
                try (Env env = EnvRegistry.defaults().make(spec.id());
                     PolicyModel whole = PolicyModel.create(spec, MODEL, 11 + k, Device.cpu())) {
                    PolicyWeights weights = whole.weights(k);
                    List<ActorTestKit> nodes = k == 2 ? List.of(nodeA, nodeB) : List.of(nodeA, nodeB, front);
                    List<ActorRef<StageActor.Command>> stages = startStages(nodes, spec, weights, spec.id());
                    try (Policy staged = new StagedSource(front.system(), spec, MODEL, whole.modelId(), k, "test",
                            settings(k)).newReplica()) {
                        ObservationBatch obs = batch(env, spec, 48, 100 * k);
                        Policy.Evaluation expected = whole.evaluate(obs);
                        Policy.Evaluation got = staged.evaluate(obs);
                        String what = spec.id() + ", " + k + " stages";
                        assertTrue(maxAbsDiff(expected.logits(), got.logits()) < 1e-5, what + ": logits");
                        assertTrue(maxAbsDiff(expected.values(), got.values()) < 1e-5, what + ": values");
                        int n = expected.actions();
                        for (int r = 0; r < obs.rows(); r++) {
                            assertEquals(Categorical.argmax(expected.logits(), r * n, n),
                                    Categorical.argmax(got.logits(), r * n, n), what + ": row " + r);
                        }
                    } finally {
                        for (int s = 0; s < stages.size(); s++) {
                            nodes.get(s).stop(stages.get(s));
                        }
                    }
                }
            }
        }
    }

    @Test
    void eachStageNodeLoadsItsSliceOfARunsCheckpointAndTheServiceAnswersFromThem(@TempDir Path runDir)
            throws IOException {
        Files.writeString(runDir.resolve("config.conf"), "troupe.train.env = \"GoToObject-v0\"\n"
                + "troupe.model { kind = transformer, embedding = 32, heads = 4, layers = 4, feed-forward = 64, "
                + "patch-size = 6, state-tokens = 1 }\n");
        try (PolicyModel trained = PolicyModel.create(goTo, MODEL, 21, Device.cpu());
             Adam adam = Adam.withDefaults(trained.parameters(), trained.manager())) {
            LearnerCheckpoint.save(runDir.resolve("checkpoints"), trained, adam, new LearnerCheckpoint.Counters(3, 300,
                    17));
        }
        RunCheckpoint run = RunCheckpoint.open(runDir);
        PipelineSettings two = settings(2);
        List<ActorRef<StageActor.Command>> stages = List.of(
                nodeA.spawn(StageActor.create(run, 0, two), "run-stage-0", PipelineSettings.dispatcher()),
                nodeB.spawn(StageActor.create(run, 1, two), "run-stage-1", PipelineSettings.dispatcher()));
        StagedSource source = StagedSource.of(front.system(), run, two).awaitStages();
        assertEquals("pipeline", source.backend());
        assertEquals(17, source.version());
        // the service ./troupe serve starts, as a fourth node of the cluster, serving the run from the stages
        Config serviceConfig = TestNodes.node("troupe-serve", TestNodes.port(front.system()), List.of("serve"),
                EXTRA + "troupe.serving.port = 0\ntroupe.serving.drift.enabled = off\n"
                        + "troupe.serving.pipeline.stages = 2");
        ServingSettings serving = ServingSettings.fromConfig(serviceConfig, Map.of());
        try (Env env = EnvRegistry.defaults().make("GoToObject-v0");
             PolicyModel whole = run.newModel(Device.cpu());
             Policy staged = source.newReplica();
             PolicyService service = PolicyService.start(serviceConfig, serving, system -> Map.of("goto",
                     StagedSource.of(system, run, PipelineSettings.fromConfig(serviceConfig)).awaitStages()))) {
            assertEquals(whole.parameterCount(), source.parameters());
            ObservationBatch obs = batch(env, goTo, 16, 7);
            Policy.Evaluation expected = whole.evaluate(obs);
            Policy.Evaluation got = staged.evaluate(obs);
            assertTrue(maxAbsDiff(expected.logits(), got.logits()) < 1e-5, "logits");
            assertTrue(maxAbsDiff(expected.values(), got.values()) < 1e-5, "values");
            int n = expected.actions();
            for (int r = 0; r < 4; r++) {
                ObjectNode body = JSON.createObjectNode();
                body.set("observation", ObservationJson.write(obs.read(r), goTo.observationSpace()));
                JsonNode a = post(service.server().url() + "/v1/policies/goto/act", body.toString(), 200);
                assertEquals(Categorical.argmax(expected.logits(), r * n, n), a.get("action").asInt(), "row " + r);
                assertEquals(17, a.get("policyVersion").asLong());
            }
            IllegalStateException newer = assertThrows(IllegalStateException.class,
                    () -> staged.load(whole.weights(18)));
            assertTrue(newer.getMessage().contains("troupe.serving.pipeline.stages"), newer.getMessage());
        } finally {
            nodeA.stop(stages.get(0));
            nodeB.stop(stages.get(1));
        }
    }

    @Test
    void theHttpApiAnswersFromStagesAndRefusesClearlyWhenAStageIsGone() {
        ServingSettings serving = ServingSettings.fromConfig(front.system().settings().config(), Map.of())
                .withAddress("127.0.0.1", 0);
        PolicyRegistry registry = new PolicyRegistry();
        ServingMetrics metrics = new ServingMetrics();
        try (Env env = EnvRegistry.defaults().make("GoToObject-v0");
             PolicyModel whole = PolicyModel.create(goTo, MODEL, 5, Device.cpu());
             ServingServer server = ServingServer.start(front.system(), serving, registry, metrics)) {
            PolicyWeights weights = whole.weights(9);
            List<ActorTestKit> nodes = List.of(nodeA, nodeB);
            List<ActorRef<StageActor.Command>> stages = startStages(nodes, goTo, weights, "http");
            registry.add(ServedPolicy.start("goto", new StagedSource(front.system(), goTo, MODEL, whole.modelId(),
                    9, "test", settings(2)), serving.batcher(), metrics));
            String act = server.url() + "/v1/policies/goto/act";
            for (long seed = 0; seed < 5; seed++) {
                Observation o = env.reset(seed);
                ObjectNode body = JSON.createObjectNode();
                body.set("observation", ObservationJson.write(o, goTo.observationSpace()));
                body.putArray("outputs").add("value");
                JsonNode a = post(act, body.toString(), 200);
                ObservationBatch one = ObservationBatch.forSpace(goTo.observationSpace(), 1);
                one.write(0, o);
                Policy.Evaluation e = whole.evaluate(one);
                assertEquals(Categorical.argmax(e.logits(), 0, e.actions()), a.get("action").asInt(), "seed " + seed);
                assertEquals(e.values()[0], a.get("value").floatValue(), 1e-5);
                assertEquals(9, a.get("policyVersion").asLong());
            }
            String body = "{\"observation\": " + ObservationJson.write(env.reset(0), goTo.observationSpace()) + "}";

            nodeB.stop(stages.get(1)); // the last stage is gone: the route cached by the replica leads nowhere
            JsonNode timedOut = post(act, body, 503);
            assertTrue(timedOut.get("error").asText().contains("troupe.serving.pipeline.timeout"), timedOut.toString());
            TestProbe<Object> probe = front.createTestProbe();
            probe.awaitAssert(Duration.ofSeconds(20), () -> {
                assertThrows(IllegalStateException.class, () -> StagedPolicy.findStages(front.system(),
                        whole.modelId(), 9, settings(2)));
                return null;
            });
            JsonNode missing = post(act, body, 503); // looked up again: stage 1 is registered nowhere
            String error = missing.get("error").asText();
            assertTrue(error.contains("stage(s) [1] of the 2 pipeline stages") && error.contains(
                    "troupe.serving.pipeline.stages"), error);
            nodeA.stop(stages.get(0));
        } finally {
            registry.close();
        }
    }
}
