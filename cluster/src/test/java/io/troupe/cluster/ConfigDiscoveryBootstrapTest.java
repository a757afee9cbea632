package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster formation by Pekko Cluster Bootstrap with config discovery ({@code troupe node --discovery config}: the
 * contact points are the management addresses listed in {@code pekko.discovery.config.services.troupe.endpoints}, as
 * on bare machines): three node JVMs on loopback form one cluster and turn ready, and the test prints how long that
 * took after the last node started (the bootstrap figure of the README; the 20 s target is reported, not asserted).
 * A node whose contact points are wrong stays alive but not ready and says every report interval which contact points
 * do not answer and that its own address is not among them.
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class ConfigDiscoveryBootstrapTest {
    /** A short job: the nodes are stopped once all three are ready. */
    private static final List<String> JOB = List.of("troupe.train.num-agents=2", "troupe.train.envs-per-agent=4",
            "troupe.train.max-wall-time=120s", "troupe.train.report-interval=1s");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private int status(int port, String path) {
        return NodeProcesses.httpStatus(http, port, path, Duration.ofSeconds(2));
    }

    private String body(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** A node config over conf/cluster-node.conf with the given contact points (management ports on loopback). */
    private Path nodeConfig(String name, List<Integer> contactPoints, int required) throws IOException {
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, "include file(\"" + NodeProcesses.HOME.resolve("conf/cluster-node.conf") + "\")\n"
                + "pekko.discovery.config.services.troupe.endpoints = ["
                + contactPoints.stream().map(p -> "{host = \"127.0.0.1\", port = " + p + "}")
                .collect(Collectors.joining(", ")) + "]\n"
                + "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = " + required
                + "\n");
        return file;
    }

    private Process start(NodeProcesses nodes, String name, String roles, int managementPort, Path nodeConfig,
                          List<String> extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--roles", roles, "--port", "0", "--discovery", "config",
                "--management-port", String.valueOf(managementPort), "--node-config", nodeConfig.toString(),
                "--run-dir", dir.resolve("runs").toString()));
        args.addAll(JOB);
        args.addAll(extra);
        return nodes.start(name, args);
    }

    private static double seconds(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1e9;
    }

    @Test
    void threeNodesFormAClusterThroughConfigDiscoveryAndTurnReady() throws Exception {
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            ports.put("a", NodeProcesses.freePort());
            ports.put("b", NodeProcesses.freePort());
            ports.put("c", NodeProcesses.freePort());
            Path config = nodeConfig("node", List.copyOf(ports.values()), 3);
            Map<String, String> roles = Map.of("a", "learner,replay", "b", "agent,replay", "c", "agent");
            for (String name : ports.keySet()) {
                start(nodes, name, roles.get(name), ports.get(name), config, List.of());
            }
            long lastStarted = System.nanoTime();
            // poll every node until it is ready, noting when its contact point answered, it was Up, and it was ready
            Map<String, Long> contactable = new LinkedHashMap<>();
            Map<String, Long> up = new LinkedHashMap<>();
            Map<String, Long> ready = new LinkedHashMap<>();
            // generous: at load averages of 35-40 on 2 cores the JVMs alone took up to 177 s to answer
            long deadline = lastStarted + TimeUnit.SECONDS.toNanos(420);
            while (ready.size() < ports.size()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("not all nodes ready in 420 s (ready: " + ready.keySet() + ")\nA:\n"
                            + nodes.log("a") + "\nB:\n" + nodes.log("b") + "\nC:\n" + nodes.log("c"));
                }
                for (var node : ports.entrySet()) {
                    String name = node.getKey();
                    if (ready.containsKey(name)) {
                        continue;
                    }
                    int alive = status(node.getValue(), "/health/alive");
                    long now = System.nanoTime();
                    if (alive == 200) {
                        contactable.putIfAbsent(name, now);
                    }
                    if (nodes.log(name).contains("troupe node: Up; the cluster has")) {
                        up.putIfAbsent(name, now);
                    }
                    if (alive == 200 && status(node.getValue(), "/health/ready") == 200) {
                        ready.put(name, System.nanoTime());
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            long allReady = ready.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            long lastContactable = contactable.values().stream().mapToLong(Long::longValue).max().orElseThrow();
            for (String name : ports.keySet()) {
                System.out.printf("ConfigDiscoveryBootstrapTest: node %s (%s): management answered %.1f s, Up %.1f s, "
                        + "ready %.1f s after the last node started%n", name, roles.get(name),
                        seconds(lastStarted, contactable.get(name)), seconds(lastStarted, up.get(name)),
                        seconds(lastStarted, ready.get(name)));
            }
            System.out.printf("ConfigDiscoveryBootstrapTest: three nodes Up and ready %.1f s after the last node "
                    + "started (JVM start included), %.1f s after the last contact point answered; load average "
                    + "%.1f on %d cores%n", seconds(lastStarted, allReady), seconds(lastContactable, allReady),
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                    Runtime.getRuntime().availableProcessors());
            for (String name : ports.keySet()) {
                String log = nodes.log(name);
                assertTrue(log.contains("joining by Cluster Bootstrap (discovery config)"), log);
                assertTrue(log.contains("troupe node: Up; the cluster has"), log);
                assertEquals(200, status(ports.get(name), "/health/ready"), log);
            }
            // one cluster, not three: every node's bootstrap route (what contact points answer) lists all three
            for (String name : ports.keySet()) {
                String seeds = body(ports.get(name), "/bootstrap/seed-nodes");
                for (String other : ports.keySet()) {
                    String address = nodes.log(other).lines().filter(l -> l.startsWith("troupe node: roles "))
                            .findFirst().orElseThrow().replaceAll(".* at (pekko://\\S+), joining.*", "$1");
                    assertTrue(seeds.contains(address), name + " lists " + other + " (" + address + "): " + seeds);
                }
            }
        }
    }

    @Test
    void aNodeWhoseContactPointsAreWrongSaysWhichDoNotAnswerAndStaysNotReady() throws Exception {
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            int management = NodeProcesses.freePort();
            int wrong1 = NodeProcesses.freePort();
            int wrong2 = NodeProcesses.freePort();
            // nothing listens on wrong1 and wrong2, and this node's own management port is not listed
            Path config = nodeConfig("wrong", List.of(wrong1, wrong2), 2);
            start(nodes, "w", "learner,replay,agent", management, config,
                    List.of("troupe.node.join-report-interval=3s"));
            String report = nodes.awaitLog("w", l -> l.contains("troupe node: not in the cluster after"), 150,
                    "the join report");
            String line = report.lines().filter(l -> l.contains("troupe node: not in the cluster after")).findFirst()
                    .orElseThrow();
            assertTrue(line.contains("discovery (config) finds 2 contact point(s) of service 'troupe'"), line);
            assertTrue(line.contains("not answering: 127.0.0.1:" + wrong1 + ", 127.0.0.1:" + wrong2), line);
            assertTrue(line.contains("this node's own management address 127.0.0.1:" + management
                    + " is not among them"), line);
            assertEquals(200, status(management, "/health/alive"), report);
            assertNotEquals(200, status(management, "/health/ready"), "not ready without a cluster:\n" + report);
            assertTrue(!nodes.log("w").contains("troupe node: Up"), nodes.log("w"));
        }
    }
}
