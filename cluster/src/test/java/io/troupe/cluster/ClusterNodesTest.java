package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.troupe.cluster.cli.TroupeCli;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code troupe node} in separate JVM processes on loopback: A (learner + replay), B (agent + replay) and C (agent)
 * train CartPole-v1 together until the mean return passes a target; a fourth node with another job is refused with the
 * differing keys named; SIGTERM makes the agent nodes leave gracefully.
 */
class ClusterNodesTest {
    private static final String JOB = "troupe.train.num-agents=2 troupe.train.envs-per-agent=8 "
            + "troupe.train.target-return=120 troupe.train.max-wall-time=150s troupe.train.report-interval=2s";
    private final List<Process> processes = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Process node(String name, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx700m", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                "-Dtroupe.home=" + Path.of("..").toAbsolutePath().normalize(),
                "-cp", System.getProperty("java.class.path"), TroupeCli.class.getName(), "node"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        return Files.readString(dir.resolve(name + ".log"));
    }

    private static List<String> args(String fixed, String job) {
        List<String> out = new ArrayList<>(List.of(fixed.split(" ")));
        out.addAll(List.of(job.split(" ")));
        return out;
    }

    @Test
    void threeNodesTrainTogetherAndAForeignJobIsRefused() throws Exception {
        int a = freePort();
        int b = freePort();
        int c = freePort();
        int d = freePort();
        String seed = "127.0.0.1:" + a;
        Process learner = node("a", args("--roles learner,replay --port " + a + " --run-dir " + dir.resolve("runs"),
                JOB).toArray(new String[0]));
        Process agentsAndReplay = node("b", args("--roles agent,replay --port " + b + " --seed-nodes " + seed, JOB)
                .toArray(new String[0]));
        Process agents = node("c", args("--roles agent --port " + c + " --seed-nodes " + seed, JOB)
                .toArray(new String[0]));
        Process foreign = node("d", args("--roles agent --port " + d + " --seed-nodes " + seed,
                JOB + " troupe.train.env=GoToObject-v0").toArray(new String[0]));

        assertTrue(foreign.waitFor(120, TimeUnit.SECONDS), "the foreign node gave up:\n" + log("d") + "\nA:\n" + log("a"));
        assertEquals(TroupeCli.USER_ERROR, foreign.exitValue(), log("d"));
        assertTrue(log("d").contains("differs from the cluster's") && log("d").contains("troupe.train.env (this node: "
                + "\"GoToObject-v0\", the cluster's job: \"CartPole-v1\")"), log("d"));

        assertTrue(learner.waitFor(170, TimeUnit.SECONDS), "the learner node finished the job:\n" + log("a"));
        assertEquals(0, learner.exitValue(), log("a"));
        String learnerLog = log("a");
        Path summaryFile;
        try (Stream<Path> runs = Files.list(dir.resolve("runs"))) {
            summaryFile = runs.map(r -> r.resolve("summary.json")).filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new AssertionError("no summary.json:\n" + learnerLog));
        }
        JsonObject summary = JsonParser.parseString(Files.readString(summaryFile)).getAsJsonObject();
        assertTrue(summary.get("solved").getAsBoolean(), "the 100-episode mean return passed 120 (random: about 22): "
                + summary);
        assertTrue(log("b").contains("Up; the cluster has") && log("c").contains("Up; the cluster has"),
                log("b") + log("c"));

        for (Process p : List.of(agentsAndReplay, agents)) {
            p.destroy(); // SIGTERM: leave the cluster gracefully
        }
        for (String name : List.of("b", "c")) {
            Process p = name.equals("b") ? agentsAndReplay : agents;
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "node " + name + " left after SIGTERM:\n" + log(name));
            assertTrue(log(name).contains("troupe node: left the cluster"), log(name));
        }
    }
}
