package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.troupe.cluster.cli.TroupeCli;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code troupe node} in separate JVM processes on loopback. Three nodes (A: learner + replay, B: agent + replay,
 * C: agent) train CartPole-v1 together; a node with another job is refused with the differing keys named; C gets
 * SIGTERM mid-run and leaves gracefully while training goes on; when the target is reached every node leaves. And the
 * learner singleton moves to a second learner node when its node is killed, resuming its versions from the checkpoint.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // above the 5 min default: each test's own waits add up to ~8 min
class ClusterNodesTest {
    private static final String JOB = "troupe.train.num-agents=2 troupe.train.envs-per-agent=8 "
            + "troupe.train.max-wall-time=150s troupe.train.report-interval=1s";
    /**
     * Trains until the test ends it: no target (one reached would end the job), and budgets a loaded machine cannot
     * spend mid-test (the wall time counts from each learner node's start and is not reset by a takeover).
     */
    private static final String UNTIL_ENDED = " troupe.train.target-return=100000 troupe.train.max-wall-time=15m "
            + "troupe.train.max-env-steps=1000000000";

    @TempDir
    Path dir;

    private static List<String> args(String fixed, String job) {
        List<String> out = new ArrayList<>(List.of(fixed.split(" ")));
        out.addAll(List.of(job.split(" ")));
        return out;
    }

    private JsonObject summary() throws Exception {
        try (Stream<Path> runs = Files.list(dir.resolve("runs"))) {
            Path file = runs.map(r -> r.resolve("summary.json")).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new AssertionError("no summary.json"));
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        }
    }

    /**
     * The first node of a cluster may take any free port: with no {@code --seed-nodes} it joins the address it bound,
     * so {@code --port 0} needs no port picked in advance (and closed again) by its caller.
     */
    @Test
    void aFirstNodeOnPortZeroStartsAClusterOfItself() throws Exception {
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            Process first = nodes.start("a", args("--roles replay --port 0 --run-dir " + dir.resolve("runs"), JOB));
            int port = nodes.port("a");
            assertTrue(port > 0, "it bound a real port: " + nodes.log("a"));
            String log = nodes.awaitLog("a", l -> l.contains("troupe node: Up"), 120, "the node is Up");
            assertTrue(log.contains("starting a new cluster") && log.contains("the cluster has 1 member(s) Up"), log);
            first.destroy();
            assertTrue(first.waitFor(60, TimeUnit.SECONDS), "it left after SIGTERM:\n" + nodes.log("a"));
        }
    }

    @Test
    void threeNodesTrainTogetherAForeignJobIsRefusedAndANodeLeavesMidRun() throws Exception {
        // with greedy evaluations, played on the learner node (which runs no agents) from the weights it publishes
        String job = JOB + " troupe.train.target-return=120 troupe.train.evaluation.every-env-steps=3000 "
                + "troupe.train.evaluation.episodes=20 troupe.train.evaluation.envs=4";
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            Process learner = nodes.start("a", args("--roles learner,replay --port 0 --run-dir "
                    + dir.resolve("runs"), job));
            String seed = "127.0.0.1:" + nodes.port("a"); // the port it bound
            Process replayAndAgents = nodes.start("b", args("--roles agent,replay --port 0 --seed-nodes " + seed,
                    job));
            Process agents = nodes.start("c", args("--roles agent --port 0 --seed-nodes " + seed, job));
            Process foreign = nodes.start("d", args("--roles agent --port 0 --seed-nodes " + seed,
                    job + " troupe.train.env=GoToObject-v0"));

            assertTrue(foreign.waitFor(120, TimeUnit.SECONDS), "the foreign node gave up:\n" + nodes.log("d"));
            assertEquals(TroupeCli.USER_ERROR, foreign.exitValue(), nodes.log("d"));
            assertTrue(nodes.log("d").contains("differs from the cluster's") && nodes.log("d").contains(
                    "troupe.train.env (this node: \"GoToObject-v0\", the cluster's job: \"CartPole-v1\")"),
                    nodes.log("d"));

            nodes.awaitLog("a", log -> NodeProcesses.lastPolicyVersion(log) >= 5, 120, "training started");
            agents.destroy(); // SIGTERM: C leaves gracefully, its agents move to B
            assertTrue(agents.waitFor(60, TimeUnit.SECONDS), "C left after SIGTERM:\n" + nodes.log("c"));
            // a JVM ended by SIGTERM exits with 143 after its shutdown hooks (here: leaving the cluster) ran
            assertEquals(143, agents.exitValue(), nodes.log("c"));
            assertTrue(nodes.log("c").contains("troupe node: left the cluster"), nodes.log("c"));

            assertTrue(learner.waitFor(170, TimeUnit.SECONDS), "A finished the job:\n" + nodes.log("a"));
            assertEquals(0, learner.exitValue(), nodes.log("a"));
            JsonObject summary = summary();
            assertTrue(summary.get("solved").getAsBoolean(), "the 100-episode mean return passed 120 (a random "
                    + "policy averages about 22): " + summary);
            assertTrue(nodes.log("a").contains("greedy evaluation of policy v"), nodes.log("a"));
            JsonObject evaluated = summary.getAsJsonObject("last_evaluation");
            assertTrue(evaluated != null && evaluated.get("episodes").getAsInt() == 20
                    && evaluated.get("env_steps").getAsLong() >= 3000, "the last evaluation: " + summary);
            assertTrue(replayAndAgents.waitFor(60, TimeUnit.SECONDS), "B left when the job was done:\n"
                    + nodes.log("b"));
            assertEquals(0, replayAndAgents.exitValue(), nodes.log("b"));
            assertTrue(nodes.log("b").contains("the job is done; leaving"), nodes.log("b"));
            // the nodes stopped in order (agents, replay, learner, node): no sharding region waited out its timeout.
            // Only the stop is judged: while C's agents move to B, B's region buffers for a moment and says so
            for (String node : List.of("a", "b")) {
                String log = nodes.log(node);
                int end = log.indexOf("the job is done");
                assertTrue(end >= 0, node + " was told the job is done:\n" + log);
                assertTrue(log.substring(end).lines().noneMatch(l -> l.contains("Graceful shutdown of shard region "
                        + "timed out") || l.contains("buffered messages")), node + ":\n" + log);
            }
        }
    }

    /** A1 and A2 (learner + replay, run directories runs-a1 and runs-a2) and C (agents), all running {@code job}. */
    private record TwoLearnerNodes(Process first, Process second, Process agents) {
    }

    private TwoLearnerNodes twoLearnerNodesAndAnAgentNode(NodeProcesses nodes, String job) throws Exception {
        Process first = nodes.start("a1", args("--roles learner,replay --port 0 --run-dir " + dir.resolve("runs-a1"),
                job));
        String seed = "127.0.0.1:" + nodes.port("a1"); // the port it bound
        nodes.awaitLog("a1", log -> log.contains("troupe node: Up"), 120, "A1 up");
        Process second = nodes.start("a2", args("--roles learner,replay --port 0 --seed-nodes " + seed
                + " --run-dir " + dir.resolve("runs-a2"), job));
        return new TwoLearnerNodes(first, second, nodes.start("c", args("--roles agent --port 0 --seed-nodes " + seed,
                job)));
    }

    @Test
    void theLearnerMovesToAnotherLearnerNodeWhenItsNodeIsKilled() throws Exception {
        String job = JOB + UNTIL_ENDED + " troupe.learner.checkpoint-every=4 "
                + "troupe.learner.checkpoint-dir=" + dir.resolve("shared-checkpoints");
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            TwoLearnerNodes cluster = twoLearnerNodesAndAnAgentNode(nodes, job);
            Process first = cluster.first();
            Process second = cluster.second();
            Process agents = cluster.agents();
            String before = nodes.awaitLog("a1", log -> NodeProcesses.lastPolicyVersion(log) >= 12, 150,
                    "12 policy versions");
            long versionAtKill = NodeProcesses.lastPolicyVersion(before);
            first.destroyForcibly(); // SIGKILL: no leaving, no checkpoint at stop
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));

            String after = nodes.awaitLog("a2", log -> log.contains("now hosts the learner singleton")
                    && NodeProcesses.lastPolicyVersion(log) >= 0, 120, "A2 took over the learner");
            long firstVersionOnA2 = NodeProcesses.lastPolicyVersion(after);
            assertTrue(firstVersionOnA2 >= versionAtKill - 4, "versions continue from the last checkpoint (every 4 "
                    + "updates): killed at v" + versionAtKill + ", A2 reports v" + firstVersionOnA2);
            String later = nodes.awaitLog("a2", log -> NodeProcesses.lastPolicyVersion(log) > firstVersionOnA2 + 5,
                    120, "training went on");
            assertTrue(NodeProcesses.lastPolicyVersion(later) > versionAtKill, later);
            second.destroy();
            agents.destroy();
            assertTrue(second.waitFor(60, TimeUnit.SECONDS) && agents.waitFor(60, TimeUnit.SECONDS));
        }
    }

    /**
     * The node reporting the run is killed after it raised the job's first end flag (agents stop) and before the
     * second (everything stops): the learner node that takes over finishes the end, so every node still leaves.
     */
    @Test
    void aLearnerNodeKilledWhileEndingTheJobLeavesTheEndToTheNextOne() throws Exception {
        String job = JOB + " troupe.train.target-return=100";
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            TwoLearnerNodes cluster = twoLearnerNodesAndAnAgentNode(nodes, job);
            Process first = cluster.first();
            Process second = cluster.second();
            Process agents = cluster.agents();
            // the first flag reached A2; A1 now waits for every agent to be gone before it raises the second
            nodes.awaitLog("a2", log -> log.contains("the job is ending"), 150, "the first end flag",
                    Duration.ofMillis(10));
            first.destroyForcibly();
            assertTrue(first.waitFor(30, TimeUnit.SECONDS));
            String a1 = nodes.log("a1");
            assertTrue(a1.contains("target reached") && !a1.contains("the job is done"), "A1 died between the "
                    + "flags:\n" + a1);

            assertTrue(second.waitFor(120, TimeUnit.SECONDS), "A2 finished the job's end:\n" + nodes.log("a2"));
            assertEquals(0, second.exitValue(), nodes.log("a2"));
            String a2 = nodes.log("a2");
            assertTrue(a2.contains("ended by the previous learner node after") && a2.contains("the job is done"), a2);
            assertTrue(agents.waitFor(60, TimeUnit.SECONDS), "C left:\n" + nodes.log("c"));
            assertEquals(0, agents.exitValue(), nodes.log("c"));
            try (Stream<Path> runs = Files.list(dir.resolve("runs-a2"))) {
                Path summary = runs.map(r -> r.resolve("summary.json")).filter(Files::isRegularFile).findFirst()
                        .orElseThrow();
                assertTrue(Files.readString(summary).contains("\"stop_reason\": \"ended by the previous learner "
                        + "node\""), Files.readString(summary));
            }
        }
    }

    /** A node that joins mid-run receives agents (Cluster Sharding rebalances the ShardedDaemonProcess onto it). */
    @Test
    void aNodeJoiningMidRunReceivesAgents() throws Exception {
        String job = JOB + UNTIL_ENDED;
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            Process learner = nodes.start("a", args("--roles learner,replay --port 0 --admin-port 0"
                    + " --run-dir " + dir.resolve("runs"), job));
            String seed = "127.0.0.1:" + nodes.port("a"); // the port it bound
            nodes.start("b", args("--roles agent,replay --port 0 --seed-nodes " + seed, job));
            nodes.awaitLog("a", log -> NodeProcesses.lastPolicyVersion(log) >= 2, 120, "training started");
            int admin = nodes.adminPort("a");
            long joinedAt = System.nanoTime();
            nodes.start("c", args("--roles agent --port 0 --seed-nodes " + seed, job));
            int c = nodes.port("c");
            HttpClient http = HttpClient.newHttpClient();
            String cAddress = "pekko://troupe@127.0.0.1:" + c;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            String agents = "";
            while (!agents.contains(cAddress) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
                try {
                    agents = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + admin + "/troupe/agents")).build(), HttpResponse.BodyHandlers.ofString())
                            .body();
                } catch (IOException e) {
                    agents = e.toString();
                }
            }
            assertTrue(agents.contains(cAddress), "an agent moved to the node that joined: " + agents + "\nC:\n"
                    + nodes.log("c"));
            System.out.printf("agents reached the joining node %.1f s after it was started%n",
                    (System.nanoTime() - joinedAt) / 1e9);
            assertTrue(learner.isAlive(), "the job was still running");
        }
    }

    private static JsonObject api(int adminPort, String path) {
        try {
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + adminPort + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return JsonParser.parseString(body).getAsJsonObject();
        } catch (Exception e) {
            return null; // not answering (yet)
        }
    }

    /** Polls {@code path} on the admin API until {@code condition} holds (at most {@code seconds}). */
    private static JsonObject awaitApi(int adminPort, String path, Predicate<JsonObject> condition,
                                      int seconds, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        JsonObject last = null;
        while (System.nanoTime() < deadline) {
            JsonObject answer = api(adminPort, path);
            last = answer != null ? answer : last;
            boolean met;
            try {
                met = answer != null && condition.test(answer);
            } catch (RuntimeException e) {
                met = false; // an error answer ({"error": ...}) while the cluster changes
            }
            if (met) {
                return answer;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
        }
        throw new AssertionError(what + " did not happen in " + seconds + " s; last answer: " + last);
    }

    private static Set<String> nodesOf(JsonObject answer, String listKey) {
        Set<String> out = new TreeSet<>();
        for (var e : answer.getAsJsonArray(listKey)) {
            out.add(e.getAsJsonObject().get("node").getAsString());
        }
        return out;
    }

    /**
     * An agent + replay node stops mid-training, by SIGKILL (the cluster downs it) or by SIGTERM (it leaves
     * gracefully, handing its shard over): its agent restarts on the other agent node, its replay shard continues on
     * the remaining replay node (from its write-ahead log, or its handoff snapshot), training goes on, and every unroll
     * each agent had confirmed is in replay (checked by sequence numbers). The shard on B was itself handed over from
     * A when B joined, so this also covers recovery after a handoff (where a confirmed stretch was once lost).
     */
    @ParameterizedTest(name = "killed = {0}")
    @ValueSource(booleans = {true, false})
    void anAgentAndReplayNodeStoppingLosesNoConfirmedExperience(boolean killed) throws Exception {
        String job = "troupe.train.algorithm=impala troupe.train.num-agents=2 troupe.train.envs-per-agent=4 "
                + "troupe.train.max-wall-time=400s troupe.train.max-env-steps=1000000000 "
                + "troupe.train.target-return=100000 troupe.replay.shards=2 troupe.replay.table.sampler=uniform "
                + "troupe.replay.table.max-size=30000 troupe.replay.table.rate-limiter.kind=min-size "
                + "troupe.agent.unroll-length=64 troupe.replay.durability.mode=wal troupe.replay.durability.dir="
                + dir.resolve("wal");
        try (NodeProcesses nodes = new NodeProcesses(dir)) {
            nodes.start("a", args("--roles learner,replay --port 0 --admin-port 0 --run-dir "
                    + dir.resolve("runs"), job));
            String seed = "127.0.0.1:" + nodes.port("a"); // the port it bound
            Process replayAndAgent = nodes.start("b", args("--roles agent,replay --port 0 --seed-nodes " + seed,
                    job));
            nodes.start("c", args("--roles agent --port 0 --seed-nodes " + seed, job));
            int b = nodes.port("b");
            int c = nodes.port("c");
            int admin = nodes.adminPort("a");
            String bAddress = "pekko://troupe@127.0.0.1:" + b;
            String cAddress = "pekko://troupe@127.0.0.1:" + c;
            awaitApi(admin, "/troupe/replay", r -> r.getAsJsonArray("shards").size() == 2
                    && nodesOf(r, "shards").contains(bAddress), 120, "a replay shard on B");
            awaitApi(admin, "/troupe/agents", r -> r.getAsJsonArray("agents").size() == 2
                    && nodesOf(r, "agents").containsAll(List.of(bAddress, cAddress)), 120, "an agent on B and on C");
            nodes.awaitLog("a", log -> NodeProcesses.lastPolicyVersion(log) >= 3, 120, "training started");
            long versionAtKill = NodeProcesses.lastPolicyVersion(nodes.log("a"));

            if (killed) {
                replayAndAgent.destroyForcibly(); // SIGKILL
            } else {
                replayAndAgent.destroy(); // SIGTERM: leave gracefully
            }
            assertTrue(replayAndAgent.waitFor(60, TimeUnit.SECONDS), nodes.log("b"));

            JsonObject shards = awaitApi(admin, "/troupe/replay", r -> r.getAsJsonArray("shards").size() == 2
                    && !nodesOf(r, "shards").contains(bAddress), 120, "B's shard recovering on A");
            long recovered = 0;
            for (var e : shards.getAsJsonArray("shards")) {
                recovered += e.getAsJsonObject().get("recovered_items").getAsLong();
            }
            assertTrue(recovered > 0, "the shard that was on B came back from its log or snapshot: " + shards);
            JsonObject agents = awaitApi(admin, "/troupe/agents", r -> {
                boolean ok = r.getAsJsonArray("agents").size() == 2 && nodesOf(r, "agents").equals(
                        Set.of(cAddress));
                for (var e : r.getAsJsonArray("agents")) {
                    ok &= e.getAsJsonObject().get("unrolls_confirmed").getAsLong() > 40;
                }
                return ok;
            }, 120, "B's agent restarted on C and both confirmed unrolls");
            for (var e : agents.getAsJsonArray("agents")) {
                String agent = e.getAsJsonObject().get("agent").getAsString();
                long confirmed = e.getAsJsonObject().get("unrolls_confirmed").getAsLong();
                JsonObject stored = api(admin, "/troupe/replay/stored?producer=" + agent);
                assertTrue(stored != null && !stored.get("truncated").getAsBoolean(), String.valueOf(stored));
                Set<Long> seqs = new HashSet<>();
                stored.getAsJsonArray("sequences").forEach(x -> seqs.add(x.getAsLong()));
                List<Long> missing = new ArrayList<>();
                for (long q = 0; q < confirmed; q++) {
                    if (!seqs.contains(q)) {
                        missing.add(q);
                    }
                }
                assertTrue(missing.isEmpty(), agent + ": confirmed unrolls " + missing + " of " + confirmed
                        + " are missing from replay");
            }
            nodes.awaitLog("a", log -> NodeProcesses.lastPolicyVersion(log) > versionAtKill + 3, 120,
                    "training went on after the kill");
        }
    }
}
