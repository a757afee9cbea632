package io.troupe.serving.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.serving.PolicyService;
import io.troupe.serving.ServingSettings;
import io.troupe.export.onnx.OnnxExporter;
import io.troupe.serving.model.CheckpointSource;
import io.troupe.serving.model.OnnxSource;
import io.troupe.serving.model.PolicySource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose env is not the registration's default (GoToObject-v0 with {@code view = agent}, set on the registration
 * as {@code conf/gotoobject-agent.conf} does: a 54 x 54 image, not the room's 30 x 30) is served with its drift
 * reference recorded in that env: the service starts and its drift route answers; so is the model exported from it,
 * whose contract carries the env's settings. A source that knows only the env id gets a clear refusal, and the
 * policy is served without drift monitoring.
 */
class RunEnvProfileTest {
    private static final String CONF = "troupe.train.env = \"GoToObject-v0\"\n"
            + "troupe.environments.GoToObject-v0.params.view = agent\n"
            + "troupe.model { kind = transformer, embedding = 16, heads = 2, layers = 1, feed-forward = 32, "
            + "patch-size = 6, state-tokens = 1 }\n";

    @TempDir
    Path runDir;

    /** Writes a run directory of the agent-view env with a freshly initialized model's checkpoint. */
    private CheckpointSource agentViewRun() throws Exception {
        Files.writeString(runDir.resolve("config.conf"), CONF);
        Config config = ConfigFactory.parseString(CONF).withFallback(ConfigFactory.defaultReference()).resolve();
        EnvSpec spec = EnvRegistry.fromConfig(config).spec("GoToObject-v0");
        try (PolicyModel model = PolicyModel.create(spec, ModelConfig.fromConfig(config.getConfig("troupe.model")), 5,
                Device.cpu()); Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            LearnerCheckpoint.save(runDir.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(1, 64,
                    1));
        }
        return CheckpointSource.open(runDir);
    }

    @Test
    void aCheckpointsReferenceIsRecordedInTheRunsOwnEnv() throws Exception {
        CheckpointSource source = agentViewRun();
        EnvSpec defaults = EnvRegistry.defaults().spec("GoToObject-v0");
        assertNotEquals(defaults, source.spec(), "the agent view has other spaces than the registration's default");
        try (Env env = source.newEnv()) {
            assertEquals(source.spec(), env.spec(), "the source makes the run's env");
        }
        ReferenceProfile profile = Profiles.forSource(source, DriftSettings.defaults());
        // recorded from greedy episodes of the run's env: its 6 state numbers are the float features
        assertEquals(DriftSettings.defaults().referenceEpisodes(), profile.episodes());
        assertEquals(6, profile.features().size());
        assertTrue(Double.isFinite(profile.evalReturn()), profile.toString());

        Config config = ConfigFactory.parseString("troupe.serving.port = 0").withFallback(ConfigFactory.load());
        try (PolicyService service = PolicyService.start(config, ServingSettings.fromConfig(config, Map.of()),
                Map.<String, PolicySource>of("agent-view", source))) {
            HttpResponse<String> drift = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    service.server().url() + "/v1/policies/agent-view/drift")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, drift.statusCode(), drift.body());
        }
    }

    @Test
    void anExportedModelsReferenceIsRecordedInTheEnvItsContractDescribes() throws Exception {
        CheckpointSource run = agentViewRun();
        Path model = runDir.resolve("export/policy.onnx");
        Files.createDirectories(model.getParent());
        OnnxExporter.export(run.run(), model, OnnxExporter.DEFAULT_OPSET);
        OnnxSource exported = OnnxSource.open(model);
        try (Env env = exported.newEnv()) {
            assertEquals(run.spec().observationSpace(), env.spec().observationSpace(), "the contract's settings");
        }
        assertEquals(DriftSettings.defaults().referenceEpisodes(),
                Profiles.forSource(exported, DriftSettings.defaults()).episodes());
    }

    @Test
    void aSourceThatKnowsOnlyTheEnvIdIsRefusedWithTheReasonAndServedWithoutDrift() throws Exception {
        CheckpointSource run = agentViewRun();
        PolicySource idOnly = new PolicySource() { // as a model exported without its settings: the default env
            @Override
            public String backend() {
                return "onnx";
            }

            @Override
            public String location() {
                return run.location();
            }

            @Override
            public EnvSpec spec() {
                return run.spec();
            }

            @Override
            public String modelKind() {
                return run.modelKind();
            }

            @Override
            public String modelId() {
                return run.modelId();
            }

            @Override
            public long parameters() {
                return run.parameters();
            }

            @Override
            public long version() {
                return run.version();
            }

            @Override
            public Policy newReplica() {
                return run.newReplica();
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Profiles.forSource(idOnly, DriftSettings.defaults()));
        assertTrue(e.getMessage().contains("the env it would be recorded in observes Dict(")
                && e.getMessage().contains(ReferenceProfile.FILE), e.getMessage());

        Config config = ConfigFactory.parseString("troupe.serving.port = 0").withFallback(ConfigFactory.load());
        try (PolicyService service = PolicyService.start(config, ServingSettings.fromConfig(config, Map.of()),
                Map.of("id-only", idOnly))) {
            HttpResponse<String> drift = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    service.server().url() + "/v1/policies/id-only/drift")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(409, drift.statusCode(), drift.body());
            assertTrue(drift.body().contains("drift monitoring is off"), drift.body());
        }
    }
}
