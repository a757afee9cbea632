package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code troupe node --roles serve} in a child JVM beside a training node: it serves the job's policy over HTTP,
 * follows the versions the learner publishes without a restart (never going backwards on a connection), and a pin
 * (over the API, with the admin token) holds newer versions back.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ServeNodeTest {
    private static final String JOB = "troupe.train.num-agents=2 troupe.train.envs-per-agent=8 "
            + "troupe.train.max-wall-time=240s troupe.train.report-interval=1s troupe.train.target-return=100000";
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

    @Test
    void aServeNodeFollowsTheTrainingJobsVersionsAndAPinHoldsThem() throws Exception {
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            List<String> training = args("--roles learner,replay,agent --port 0 --run-dir " + dir.resolve("runs"));
            nodes.start("a", training.subList(1, training.size())); // start() adds "node"
            String seed = "127.0.0.1:" + nodes.port("a");
            ProcessBuilder pb = new ProcessBuilder(NodeProcesses.command(args("--roles serve --port 0 --seed-nodes "
                    + seed + " troupe.serving.port=0"))).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("b.log").toFile());
            pb.environment().put("TROUPE_ADMIN_TOKEN", ADMIN);
            nodes.start(pb);
            Matcher m = SERVING.matcher(nodes.awaitLog("b", l -> SERVING.matcher(l).find(), 120, "serving"));
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

            // pin a little ahead of the version served now (training publishes several a second, and a pin below
            // the served version is refused): versions up to the pin may still come, none after it
            long servedNow = JSON.readTree(send(HttpRequest.newBuilder(URI.create(policy)).GET()).body())
                    .get("policyVersion").asLong();
            long pinAt = servedNow + 5;
            HttpResponse<String> pinned = send(HttpRequest.newBuilder(URI.create(policy + "/pin"))
                    .header("Authorization", "Bearer " + ADMIN).PUT(HttpRequest.BodyPublishers.ofString(
                            "{\"version\": " + pinAt + "}")));
            assertEquals(200, pinned.statusCode(), pinned.body());
            nodes.awaitLog("a", log -> NodeProcesses.lastPolicyVersion(log) >= pinAt + 5, 180,
                    "training published 5 versions past the pin");
            JsonNode held = JSON.readTree(send(HttpRequest.newBuilder(URI.create(policy)).GET()).body());
            assertTrue(held.get("policyVersion").asLong() <= pinAt, held.toString());
            assertEquals(pinAt, held.get("pinnedVersion").asLong());
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
