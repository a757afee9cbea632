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
import io.troupe.core.Categorical;
import io.troupe.core.EnvSpec;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.Policy;
import io.troupe.edge.observation.ObservationJson;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.PolicyModel;
import io.troupe.serving.PolicyService;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.model.CheckpointSource;
import io.troupe.serving.model.PolicySource;
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
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Drift monitoring of a served policy, end to end: a CartPole run trained here (its admin port scraped while it
 * trains), served with a reference profile recorded at start; clients drive CartPole through the REST API, first as
 * the env is, then with sensor noise on every observation. Also: every metric deploy/monitoring names is exported,
 * and the serving port's dashboard (in chromium) shows the policy, its latency and its alarms.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServedDriftTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /**
     * The comparison window and how often it is compared (rows); the reference's evaluation episodes. A greedy
     * CartPole policy's cart drifts the same way in every episode, so rows within an episode are strongly correlated:
     * 100 reference episodes gave a PSI of 0.26 on cart position in one run of unshifted traffic (a sampling error of
     * about 9 bins x (1/100 + 1/n) for n effective rows); 300 keep the reference's share of that error small.
     */
    private static final int WINDOW = 8000;
    private static final int CHECK_EVERY = 100;
    private static final int REFERENCE_EPISODES = 300;
    /**
     * Clients, each an env copy that was already running when the traffic starts, at a step drawn uniformly over a
     * whole episode (as the reference's rows are spread over whole episodes). Many clients, each a short stretch of
     * the window, give it many independent trajectories: with 64 clients (125 rows each) cart position's PSI reached
     * 0.18 against the 0.2 threshold on unshifted traffic.
     */
    private static final int CLIENTS = 256;
    /** Requests from the unshifted env that must raise no alarm (after the first window fills). */
    private static final int UNSHIFTED = WINDOW + 4000;
    /** Requests with sensor noise within which the alarm must be raised. */
    private static final int DETECT_WITHIN = WINDOW;
    /** The sensor noise: Gaussian, this standard deviation on every feature. */
    private static final double NOISE = 0.05;

    @TempDir
    static Path runs;
    private static PolicyService service;
    private static String adminMetrics;
    private static RunCheckpoint checkpoint;

    @BeforeAll
    static void trainWatchAndServe() throws Exception {
        int adminPort = NodeProcesses.freePort();
        // a target CartPole-v1 cannot reach (its returns stop at 500): the job runs its 150k env steps, several
        // seconds of reports, where a target of 150 ended it after 1.3 s once the agents got faster, before the
        // admin port had published the figures this waits for
        CompletableFuture<Integer> training = CompletableFuture.supplyAsync(() -> TroupeCli.commandLine().execute(
                "train", "--run-dir", runs.toString(), "--target", "1000", "--admin-port", String.valueOf(adminPort),
                "troupe.train.algorithm=ppo", "troupe.train.mode=cluster", "troupe.train.num-agents=2",
                "troupe.train.envs-per-agent=4", "troupe.model.kind=mlp", "troupe.ppo.learning-rate=1e-3",
                "troupe.ppo.anneal-lr=false", "troupe.train.max-wall-time=180s", "troupe.train.max-env-steps=150000",
                "troupe.train.report-interval=200ms"));
        // the admin port's metrics once the job has reported (polled until then, or until the job ends)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (adminMetrics == null && !training.isDone() && System.nanoTime() < deadline) {
            try {
                String text = get("http://127.0.0.1:" + adminPort + "/troupe/metrics").body();
                // the learner's figures and the episode returns (the latter only once episodes have ended)
                if (text.contains("troupe_losses_value_loss") && text.contains("troupe_learner_updates")
                        && text.contains("troupe_mean_return_100")
                        && text.contains("troupe_mean_return_by_reward_version")) {
                    adminMetrics = text;
                }
            } catch (IOException notYetBound) {
                // the port opens once the cluster is up
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        assertEquals(0, training.get(300, TimeUnit.SECONDS)); // its own budget is 180 s from the cluster's start
        assertTrue(adminMetrics != null, "the training job's admin port answered /troupe/metrics while it trained");
        Path run;
        try (Stream<Path> s = Files.list(runs)) {
            run = s.findFirst().orElseThrow();
        }
        Config config = ConfigFactory.parseString("troupe.serving.port = 0\ntroupe.serving.drift { window = " + WINDOW
                + ", check-every = " + CHECK_EVERY + ", reference-episodes = " + REFERENCE_EPISODES + " }")
                .withFallback(ConfigFactory.load());
        checkpoint = RunCheckpoint.open(run);
        service = PolicyService.start(config, ServingSettings.fromConfig(config, Map.of()),
                Map.<String, PolicySource>of("cartpole", CheckpointSource.open(run)));
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(service.server().url() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode drift() throws Exception {
        HttpResponse<String> r = get(service.server().url() + "/v1/policies/cartpole/drift");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The alarms on observations and actions (the returns' alarm is the feedback test's). */
    private static List<String> trafficAlarms(JsonNode drift) {
        List<String> out = new ArrayList<>();
        drift.get("alarms").forEach(a -> {
            if (!a.asText().equals("return")) {
                out.add(a.asText());
            }
        });
        return out;
    }

    /**
     * {@link #CLIENTS} clients take turns, one act request per step; each was already running when the traffic starts
     * (stepped a random 0 to episode-length - 1 steps with the run's own greedy policy, locally), as a service's
     * clients are. With {@code noise} > 0 each observation is sent with Gaussian sensor noise. Stops after
     * {@code requests}, or at the first alarm when {@code untilAlarm}. Returns {requests sent, comparisons looked at,
     * comparisons with an alarm}.
     */
    private static int[] drive(int requests, double noise, boolean untilAlarm, long seed) throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        EnvSpec spec = registry.spec("CartPole-v1");
        SplittableRandom rng = new SplittableRandom(seed);
        List<VectorEnv> clients = new ArrayList<>();
        int checks = 0;
        int alarmed = 0;
        int sent = 0;
        try (PolicyModel local = checkpoint.newModel(Device.cpu())) {
            for (int c = 0; c < CLIENTS; c++) {
                VectorEnv env = VectorEnv.of(() -> registry.make("CartPole-v1"), 1);
                clients.add(env);
                env.reset(seed * 1000 + c);
                for (int k = rng.nextInt(spec.maxEpisodeSteps().orElse(500)); k > 0; k--) {
                    Policy.Evaluation e = local.evaluate(env.observations());
                    env.step(new int[] {Categorical.argmax(e.logits(), 0, e.actions())});
                }
            }
            while (sent < requests) {
                for (VectorEnv env : clients) {
                    if (sent == requests) {
                        break;
                    }
                    Observation o = env.observations().read(0);
                    if (noise > 0) {
                        float[] data = ((FloatTensor) o.single()).data().clone();
                        for (int i = 0; i < data.length; i++) {
                            data[i] += (float) (noise * rng.nextGaussian());
                        }
                        o = Observation.of(new FloatTensor(new int[] {data.length}, data));
                    }
                    ObjectNode body = JSON.createObjectNode();
                    body.set("observation", ObservationJson.write(o, spec.observationSpace()));
                    HttpResponse<String> r = post("/v1/policies/cartpole/act", body.toString());
                    assertEquals(200, r.statusCode(), r.body());
                    env.step(new int[] {JSON.readTree(r.body()).get("action").asInt()});
                    sent++;
                    if (sent % CHECK_EVERY == 0) {
                        JsonNode d = drift();
                        if (d.get("windowRows").asInt() > 0) {
                            checks++;
                            if (!trafficAlarms(d).isEmpty()) {
                                alarmed++;
                                if (untilAlarm) {
                                    return new int[] {sent, checks, alarmed};
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            clients.forEach(VectorEnv::close);
        }
        return new int[] {sent, checks, alarmed};
    }

    @Test
    @Order(1)
    void unshiftedTrafficRaisesNoAlarmAndSensorNoiseRaisesOneWithinAWindow() throws Exception {
        int[] calm = drive(UNSHIFTED, 0, false, 101);
        System.out.printf("drift: %d requests from the unshifted env, %d comparisons, %d with an alarm%n", calm[0],
                calm[1], calm[2]);
        assertTrue(calm[1] >= (UNSHIFTED - WINDOW) / CHECK_EVERY, "the window was compared: " + calm[1]);
        System.out.println("drift: the last unshifted comparison: " + drift());
        assertEquals(0, calm[2], "false alarms on unshifted traffic: " + drift());
        int[] noisy = drive(DETECT_WITHIN, NOISE, true, 202);
        JsonNode d = drift();
        System.out.printf("drift: sensor noise (sd %.2f) raised %s after %d requests%n", NOISE, trafficAlarms(d),
                noisy[0]);
        assertEquals(1, noisy[2], "no alarm within " + DETECT_WITHIN + " noisy requests: " + d);
        String metrics = get(service.server().url() + "/metrics").body();
        assertTrue(Pattern.compile("troupe_serving_drift_alarms\\{policy=\"cartpole\"} [1-9]").matcher(metrics)
                .find(), metrics);
    }

    @Test
    @Order(2)
    void reportedReturnsBelowTheEvaluationReturnRaiseThePageHinkleyAlarm() throws Exception {
        JsonNode profile = drift();
        double reference = profile.get("referenceReturn").asDouble();
        assertTrue(reference > 100, "the reference profile's evaluation return: " + reference);
        long served = JSON.readTree(get(service.server().url() + "/v1/policies/cartpole").body())
                .get("policyVersion").asLong();
        assertEquals(served, profile.get("referenceVersion").asLong(), "the checkpoint's profile is of the version "
                + "it serves: " + profile);
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = post("/v1/policies/cartpole/feedback", "{\"return\": " + reference * 0.98 + "}");
            assertEquals(202, r.statusCode(), r.body());
            assertTrue(!JSON.readTree(r.body()).get("alarms").toString().contains("return"), r.body());
        }
        int episodes = 0;
        JsonNode answer;
        do {
            answer = JSON.readTree(post("/v1/policies/cartpole/feedback", "{\"return\": " + reference * 0.3 + "}")
                    .body());
            episodes++;
        } while (!answer.get("alarms").toString().contains("return") && episodes < 10);
        System.out.printf("drift: returns at 30%% of the evaluation return raised the alarm after %d episodes%n",
                episodes);
        assertTrue(episodes <= 2, "Page-Hinkley took " + episodes + " episodes: " + answer);
        assertTrue(get(service.server().url() + "/metrics").body().contains(
                "troupe_serving_return_alarm{policy=\"cartpole\"} 1.0"));
        HttpResponse<String> bad = post("/v1/policies/cartpole/feedback", "{\"reward\": 3}");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("{\\\"return\\\": R}"), bad.body());
    }

    @Test
    @Order(3)
    void everyMetricTheAlertRulesAndTheGrafanaDashboardNameIsExported() throws Exception {
        String serving = get(service.server().url() + "/metrics").body();
        Set<String> exported = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^(troupe_[a-z0-9_]+)").matcher(adminMetrics + "\n" + serving);
        while (m.find()) {
            exported.add(m.group(1));
        }
        Path dir = Path.of("..", "deploy", "monitoring");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted().toList();
        }
        assertEquals(2, files.size(), files.toString());
        Set<String> named = new TreeSet<>();
        for (Path f : files) {
            Matcher n = Pattern.compile("troupe_[a-z0-9_]+").matcher(Files.readString(f));
            while (n.find()) {
                named.add(n.group());
            }
        }
        assertTrue(named.size() >= 10, "the rules and the dashboard name Troupe's metrics: " + named);
        Set<String> missing = new TreeSet<>(named);
        missing.removeAll(exported);
        assertEquals(Set.of(), missing, "named in deploy/monitoring but not exported; exported: " + exported);
    }

    @Test
    @Order(4)
    void theServingDashboardShowsThePolicyItsLatencyAndItsDriftAlarms() {
        ChromeDriver browser = Browsers.headlessChromium();
        try {
            browser.get(service.server().url() + "/");
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(100));
            wait.until(d -> d.findElement(By.id("serving")).getText().contains("cartpole"));
            // the earlier tests' noise and low returns raised alarms; the page shows them and the features' PSI
            wait.until(d -> d.findElement(By.id("serving")).getText().contains("return"));
            wait.until(d -> d.findElement(By.id("drift")).getText().contains("obs_0"));
            wait.until(d -> d.findElement(By.id("latency")).getText().contains("/v1/policies/{name}/act"));
            wait.until(d -> !d.findElements(By.id("chart-serving")).isEmpty());
            assertEquals(List.of(), Browsers.consoleProblems(browser), "console errors and warnings");
        } finally {
            browser.quit();
        }
    }
}
