package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@code troupe node --roles serve} in a child JVM beside a two-node training job (the learner on one node, the agents
 * on another): it serves the job's policy over HTTP, follows the versions the learner publishes without a restart
 * (never going backwards on a connection), and a pin (over the API, with the admin token) holds newer versions back.
 * The dashboard on the serve node's admin port shows the serving panel (requests/s, latency percentiles, batch sizes,
 * drift alarms) in a real browser; the learner node's admin port, which serves nothing, lists no policies there.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class ServeNodeTest {
    private static final String JOB = "troupe.train.num-agents=2 troupe.train.envs-per-agent=8 "
            + "troupe.train.max-wall-time=15m troupe.train.max-env-steps=1000000000 troupe.train.report-interval=1s "
            + "troupe.train.target-return=100000";
    private static final String ADMIN = "serve-node-admin-token-0123";
    private static final Pattern SERVING = Pattern.compile("serving the job's policy on (http://[^\\s]+) ");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private static List<String> args(String fixed) {
        List<String> out = new ArrayList<>(List.of("node"));
        out.addAll(List.of(fixed.split(" ")));
        out.addAll(List.of(JOB.split(" ")));
        return out;
    }

    /** {@link #args} without its leading "node", which {@code NodeProcesses.start(name, args)} adds itself. */
    private static List<String> nodeArgs(String fixed) {
        List<String> all = args(fixed);
        return all.subList(1, all.size());
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code url} (every 200 ms, at most {@code seconds}) until its JSON answer satisfies {@code condition}. */
    private JsonNode await(String url, Predicate<JsonNode> condition, int seconds, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url)).GET());
            last = r.statusCode() + " " + r.body();
            if (r.statusCode() == 200 && condition.test(JSON.readTree(r.body()))) {
                return JSON.readTree(r.body());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        throw new AssertionError(what + " did not happen in " + seconds + " s; last answer: " + last);
    }

    /**
     * The serve node's admin port: the panel's reads answer as the serving port's do, and its dashboard (in Chromium,
     * while a client keeps acting) shows the policy with a rows/s above 0, the act route's latency percentiles, the
     * mean batch size and the drift column, draws the rows/s chart, and logs no console error.
     */
    private void servingPanelOnTheAdminPort(String admin, String policy) throws Exception {
        JsonNode listed = JSON.readTree(send(HttpRequest.newBuilder(URI.create(admin + "/troupe/serving/policies"))
                .GET()).body());
        assertEquals("cartpole-v1", listed.get("policies").get(0).get("name").asText(), listed.toString());
        String metrics = send(HttpRequest.newBuilder(URI.create(admin + "/troupe/serving/metrics")).GET()).body();
        assertTrue(metrics.contains("troupe_serving_batch_size_count{policy=\"cartpole-v1\"}")
                && metrics.contains("troupe_serving_request_seconds_bucket{route=\"/v1/policies/{name}/act\""),
                metrics);
        AtomicBoolean acting = new AtomicBoolean(true);
        Thread client = new Thread(() -> {
            try {
                while (acting.get()) {
                    send(HttpRequest.newBuilder(URI.create(policy + "/act")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"observation\": {\"obs\": [0.01, 0.02, -0.03, 0.04]}}")));
                }
            } catch (IOException | InterruptedException e) {
                acting.set(false);
            }
        }, "serve-node-test-client");
        client.start();
        ChromeDriver browser = Browsers.headlessChromium();
        try {
            browser.get(admin + "/");
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(100));
            wait.until(d -> d.findElement(By.id("serving-panel")).isDisplayed());
            // policy, version, rows/s, mean batch, queue, drift alarms: rows/s above 0 once two refreshes saw traffic
            // (the tables are rebuilt every refresh: their cells are read in one script, never as held elements)
            wait.until(d -> {
                List<String> row = cells(d, "#serving tbody tr td");
                return row.size() == 6 && row.get(0).equals("cartpole-v1") && parse(row.get(2)) > 0
                        && parse(row.get(3)) >= 1;
            });
            assertNotEquals("-", cells(browser, "#serving tbody tr td").get(5),
                    "the followed policy has a reference profile: its drift alarms, or none, are shown");
            // route, requests, p50, p90, p99 of the act route
            List<String> act = wait.until(d -> {
                List<String> all = cells(d, "#latency tbody tr td");
                int i = all.indexOf("/v1/policies/{name}/act");
                return i >= 0 ? all.subList(i, i + 5) : null;
            });
            assertTrue(parse(act.get(1)) > 0 && parse(act.get(2)) > 0 && parse(act.get(4)) >= parse(act.get(2)),
                    "requests, p50 and p99 of the act route: " + act);
            wait.until(d -> !d.findElements(By.id("chart-serving")).isEmpty());
            assertEquals(List.of(), Browsers.consoleProblems(browser).stream().map(LogEntry::getMessage).toList());
        } finally {
            browser.quit();
            acting.set(false);
            client.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertFalse(client.isAlive(), "the page's client stopped");
    }

    /** The text of every element {@code selector} matches, read at one instant. */
    @SuppressWarnings("unchecked")
    private static List<String> cells(WebDriver d, String selector) {
        return (List<String>) ((JavascriptExecutor) d).executeScript("return Array.from(document.querySelectorAll("
                + "arguments[0])).map(e => e.textContent)", selector);
    }

    /** A number as the page formats it (thousands separated by commas); NaN for "-". */
    private static double parse(String text) {
        return text.equals("-") || text.isBlank() ? Double.NaN : Double.parseDouble(text.replace(",", ""));
    }

    @Test
    void aServeNodeFollowsTheTrainingJobsVersionsAndAPinHoldsThem() throws Exception {
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            // a two-node training job: the learner (and a replay shard) on A, the agents (and one) on C
            nodes.start("a", nodeArgs("--roles learner,replay --port 0 --admin-port 0 --run-dir "
                    + dir.resolve("runs")));
            String seed = "127.0.0.1:" + nodes.port("a");
            nodes.start("c", nodeArgs("--roles agent,replay --port 0 --seed-nodes " + seed));
            ProcessBuilder pb = new ProcessBuilder(NodeProcesses.command(args("--roles serve --port 0 --admin-port 0 "
                    + "--seed-nodes " + seed + " troupe.serving.port=0 "
                    + "troupe.serving.drift.follow-reprofile-after=2s")))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("b.log").toFile());
            pb.environment().put("TROUPE_ADMIN_TOKEN", ADMIN);
            nodes.start(pb);
            Matcher m;
            try {
                // ONNX Runtime's environment took 150 s to create at a load of 28 on these 2 cores
                m = SERVING.matcher(nodes.awaitLog("b", l -> SERVING.matcher(l).find(), 300, "serving"));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nthe learner node's log:\n" + nodes.log("a")
                        + "\nthe agent node's log:\n" + nodes.log("c"), e);
            }
            assertTrue(m.find());
            String url = m.group(1);
            String policy = url + "/v1/policies/cartpole-v1";

            // ready once the first published version passed the check
            JsonNode first = await(policy, j -> j.get("policyVersion").asLong() >= 0, 180, "a first version");
            assertEquals(200, send(HttpRequest.newBuilder(URI.create(url + "/health/ready")).GET()).statusCode());
            long v0 = first.get("policyVersion").asLong();

            // one client on one keep-alive connection: its answers' versions climb as training publishes, never back
            long last = -1;
            List<Long> seen = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (last < v0 + 3 && System.nanoTime() < deadline) {
                HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(policy + "/act"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"observation\": {\"obs\": [0.01, 0.02, -0.03, 0.04]}}")));
                assertEquals(200, r.statusCode(), r.body());
                long v = JSON.readTree(r.body()).get("policyVersion").asLong();
                assertTrue(v >= last, "versions went from " + last + " to " + v);
                if (v != last) {
                    seen.add(v);
                }
                last = v;
            }
            assertTrue(last >= v0 + 3, "the served version followed training: " + seen + "\n" + nodes.log("a"));

            // drift: the first version served was profiled in the job's env, and with follow-reprofile-after = 2s a
            // version served later is profiled again (its monitor replaces the first)
            JsonNode drift = await(policy + "/drift", j -> j.path("referenceVersion").asLong(-1) >= 0, 120,
                    "a drift profile of a followed version");
            long profiled = drift.get("referenceVersion").asLong();
            assertTrue(drift.get("referenceReturn").asDouble() >= 1, "CartPole pays 1 a step: " + drift);
            await(policy + "/drift", j -> j.path("referenceVersion").asLong(-1) > profiled, 120,
                    "a second profile, of a later version than " + profiled);

            servingPanelOnTheAdminPort("http://127.0.0.1:" + nodes.adminPort("b"), policy);
            JsonNode none = JSON.readTree(send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + nodes.adminPort("a") + "/troupe/serving/policies")).GET()).body());
            assertEquals(0, none.get("policies").size(), "the learner node serves nothing: " + none);

            // pin at the version served now, in one step (training publishes several a second: reading the served
            // version and then pinning it would race them); none after it is served while training goes on
            HttpResponse<String> pinned = send(HttpRequest.newBuilder(URI.create(policy + "/pin"))
                    .header("Authorization", "Bearer " + ADMIN).PUT(HttpRequest.BodyPublishers.ofString(
                            "{\"version\": \"served\"}")));
            assertEquals(200, pinned.statusCode(), pinned.body());
            long pinAt = JSON.readTree(pinned.body()).get("pinnedVersion").asLong();
            assertTrue(pinAt >= last, "pinned at " + pinAt + ", after serving " + last);
            nodes.awaitLog("a", log -> NodeProcesses.lastPolicyVersion(log) >= pinAt + 5, 180,
                    "training published 5 versions past the pin");
            JsonNode held = JSON.readTree(send(HttpRequest.newBuilder(URI.create(policy)).GET()).body());
            assertEquals(pinAt, held.get("policyVersion").asLong(), held.toString());
            assertEquals(pinAt, held.get("pinnedVersion").asLong());
            long heldProfile = JSON.readTree(send(HttpRequest.newBuilder(URI.create(policy + "/drift")).GET()).body())
                    .get("referenceVersion").asLong();
            assertTrue(heldProfile <= pinAt, "a pinned policy is profiled at most at the pin: " + heldProfile);
            // unpinned, it catches up without a restart
            assertEquals(200, send(HttpRequest.newBuilder(URI.create(policy + "/pin"))
                    .header("Authorization", "Bearer " + ADMIN).DELETE()).statusCode());
            await(policy, j -> j.get("policyVersion").asLong() > pinAt, 120, "catching up after the unpin");
            String metrics = send(HttpRequest.newBuilder(URI.create(url + "/metrics")).GET()).body();
            assertTrue(metrics.contains("troupe_serving_versions_failed_check_total{policy=\"cartpole-v1\"} 0"),
                    metrics);
        }
    }
}
