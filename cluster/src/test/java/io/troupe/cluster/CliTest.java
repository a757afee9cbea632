package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.cluster.run.JobSnapshot;
import io.troupe.environments.EnvRegistry;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real command line in-process, with real files. */
class CliTest {
    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** picocli's own warnings go to System.err, past {@link CliRun}'s writer. */
    @Test
    void helpWorksOnEveryCommandWithoutWarnings() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        CliRun show;
        CliRun quantize;
        try {
            System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
            show = run("reward", "show", "--help");
            quantize = run("compress", "quantize", "--help");
        } finally {
            System.setErr(oldErr);
        }
        // reward show has a --version of its own (the reward version), which the standard options' would shadow
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("--version=N") && show.out().contains("--help"), show.out());
        assertEquals(0, quantize.code(), quantize.err());
        assertTrue(quantize.out().contains("the 95% intervals need many"), quantize.out());
        assertEquals("", warnings.toString(StandardCharsets.UTF_8));
    }

    /** The admin API binds only once the node is up: its settings are checked before the run directory is written. */
    @Test
    void aBadAdminPortLeavesNoRunDirectory() throws Exception {
        Path runs = tmp.resolve("admin-runs");
        CliRun outOfRange = run("train", "--run-dir", runs.toString(), "--admin-port", "70000");
        assertEquals(TroupeCli.USER_ERROR, outOfRange.code());
        assertTrue(outOfRange.err().contains("troupe.admin.port must be -1 (off), 0 (any free port) or 1..65535"),
                outOfRange.err());
        try (ServerSocket taken = new ServerSocket(0, 1,
                InetAddress.getLoopbackAddress())) {
            CliRun inUse = run("train", "--run-dir", runs.toString(), "--admin-port",
                    Integer.toString(taken.getLocalPort()));
            assertEquals(TroupeCli.USER_ERROR, inUse.code());
            assertEquals("troupe: admin API: cannot bind 127.0.0.1:" + taken.getLocalPort() + ": the port is in use "
                    + "(troupe.admin.port, --admin-port; 0 picks a free one)", inUse.err().strip());
        }
        assertFalse(Files.exists(runs), "no run directory was written");
    }

    /** A port in use is one line before anything loads, not Pekko HTTP's bind failure with its stack trace. */
    @Test
    void serveOnAPortInUseSaysSoInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1,
                InetAddress.getLoopbackAddress())) {
            CliRun serve = run("serve", "--checkpoint", tmp.resolve("no-run").toString(), "--port",
                    Integer.toString(taken.getLocalPort()));
            assertEquals(TroupeCli.USER_ERROR, serve.code());
            assertEquals("troupe: serving: cannot bind 127.0.0.1:" + taken.getLocalPort() + ": the port is in use "
                    + "(--host, --port; troupe.serving.hostname, troupe.serving.port; port 0 picks a free one)",
                    serve.err().strip());
        }
    }

    @Test
    void anImageIsNotWrittenOverADirectory() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("render-into"));
        CliRun render = run("env", "render", "GoToObject-v0", "--out", dir.toString());
        assertEquals(TroupeCli.USER_ERROR, render.code());
        assertEquals("troupe: --out " + dir + " is a directory; expected the PNG file to write", render.err().strip());
        assertTrue(Files.isDirectory(dir), "the directory is still there");
    }

    @Test
    void envListShowsBuiltInsWithTheirSpaces() {
        CliRun r = run("env", "list");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("CartPole-v1") && r.out().contains("Discrete(2)"), r.out());
        assertTrue(r.out().contains("GoToObject-v0") && r.out().contains("mission: Text"), r.out());
    }

    @Test
    void envCheckPassesOnBuiltInsAndFailsOnUnknownIds() {
        CliRun ok = run("env", "check", "GoToObject-v0");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("verdict: PASS"), ok.out());
        CliRun unknown = run("env", "check", "GoToObjekt-v0");
        assertEquals(TroupeCli.USER_ERROR, unknown.code());
        assertTrue(unknown.err().contains("known ids: CartPole-v1, GoToObject-Hard-v0, GoToObject-Seq-v0, GoToObject-v0"),
                unknown.err());
    }

    @Test
    void envCheckExitsNonZeroOnABrokenRegisteredEnv() throws Exception {
        Path conf = tmp.resolve("broken.conf");
        Files.writeString(conf, "troupe.environments.Broken-v0 { class = \"" + NanRewardEnv.class.getName() + "\" }");
        CliRun r = run("env", "check", "--config", conf.toString(), "Broken-v0");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("FAIL  rewards-finite"), r.out());
        assertTrue(r.out().contains("verdict: FAIL"), r.out());
    }

    @Test
    void envRenderWritesAPngOfWhatTheAgentSees() throws Exception {
        Path png = tmp.resolve("room.png");
        CliRun r = run("env", "render", "GoToObject-v0", "--seed", "3", "--out", png.toString(), "--scale", "4");
        assertEquals(0, r.code(), r.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(120, img.getWidth());
        assertEquals(120, img.getHeight());
        assertTrue(r.out().contains("go to the"), r.out());
        CliRun none = run("env", "render", "CartPole-v1", "--out", tmp.resolve("cp.png").toString());
        assertEquals(TroupeCli.USER_ERROR, none.code());
        assertTrue(none.err().contains("nothing to render"), none.err());
    }

    @Test
    void envCheckAndRenderTheHarderLevels() throws Exception {
        CliRun check = run("env", "check", "GoToObject-Hard-v0", "GoToObject-Seq-v0");
        assertEquals(0, check.code(), check.out() + check.err());
        assertEquals(2, check.out().split("verdict: PASS", -1).length - 1, check.out());
        for (String id : List.of("GoToObject-Hard-v0", "GoToObject-Seq-v0")) {
            Path png = tmp.resolve(id + ".png");
            CliRun r = run("env", "render", id, "--seed", "3", "--out", png.toString(), "--scale", "2");
            assertEquals(0, r.code(), r.err());
            int side = id.contains("Hard") ? 8 * 6 * 2 : 7 * 6 * 2;
            assertEquals(side, ImageIO.read(png.toFile()).getWidth());
            assertTrue(r.out().contains(id.contains("Seq") ? " then the " : "go to the"), r.out());
        }
    }

    @Test
    void trainWritesARunDirectoryWithConfigMetricsAndSummary() throws Exception {
        CliRun r = run("train", "--run-dir", tmp.toString(), "troupe.train.max-env-steps=20000",
                "troupe.train.report-interval=50ms");
        assertEquals(0, r.code(), r.err());
        List<Path> runs;
        try (Stream<Path> s = Files.list(tmp)) {
            runs = s.toList();
        }
        assertEquals(1, runs.size());
        Path dir = runs.get(0);
        assertTrue(dir.getFileName().toString().startsWith("CartPole-v1-random-s1-"), dir.toString());
        String config = Files.readString(dir.resolve("config.conf"));
        assertTrue(config.contains("max-env-steps=20000") || config.contains("max-env-steps = 20000"), config);
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertTrue(metrics.size() >= 1);
        for (String key : List.of("wall_s", "env_steps", "episodes", "mean_return_100", "steps_per_s",
                "learner_updates", "policy_version", "policy_lag_p50", "policy_lag_max", "reward_version")) {
            assertTrue(metrics.get(metrics.size() - 1).contains("\"" + key + "\":"), key + " in " + metrics);
        }
        String summary = Files.readString(dir.resolve("summary.json"));
        assertTrue(summary.contains("\"solved\": false") && summary.contains("\"env_steps\": 20000"), summary);
        assertTrue(Files.isDirectory(dir.resolve("checkpoints")));
    }

    @Test
    void trainReachesAModestTargetAndStops() throws Exception {
        // a uniform-random policy averages about 22 on CartPole-v1: a target of 15 is reached as soon as 100 episodes end
        CliRun r = run("train", "--run-dir", tmp.toString(), "--target", "15");
        assertEquals(0, r.code(), r.err());
        Path dir;
        try (Stream<Path> s = Files.list(tmp)) {
            dir = s.findFirst().orElseThrow();
        }
        String summary = Files.readString(dir.resolve("summary.json"));
        assertTrue(summary.contains("\"solved\": true") && summary.contains("\"stop_reason\": \"target reached\""),
                summary);
    }

    @Test
    void badConfigsGetOneClearLine() throws Exception {
        CliRun unknownEnv = run("train", "--run-dir", tmp.toString(), "troupe.train.env=CartPole-v9");
        assertEquals(TroupeCli.USER_ERROR, unknownEnv.code());
        assertTrue(unknownEnv.err().contains("unknown env id 'CartPole-v9'"), unknownEnv.err());
        CliRun badType = run("train", "--run-dir", tmp.toString(), "troupe.train.seed=abc");
        assertEquals(TroupeCli.USER_ERROR, badType.code());
        // the value's origin is the override as typed, not Typesafe's "String: 1" for a parsed string
        assertEquals("troupe: troupe.train: the override troupe.train.seed=abc: seed has type STRING rather than "
                + "NUMBER", badType.err().strip(), badType.err());
        CliRun badAlgo = run("train", "--run-dir", tmp.toString(), "troupe.train.algorithm=dqn");
        assertEquals(TroupeCli.USER_ERROR, badAlgo.code());
        assertTrue(badAlgo.err().contains("troupe.train.algorithm: unknown algorithm 'dqn'; available: ppo, impala, "
                + "random"), badAlgo.err());
        assertEquals(1, badAlgo.err().strip().lines().count(), "one line: " + badAlgo.err());
        CliRun badMode = run("train", "--run-dir", tmp.toString(), "troupe.train.mode=swarm");
        assertEquals(TroupeCli.USER_ERROR, badMode.code());
        assertTrue(badMode.err().contains("troupe.train.mode: unknown mode 'swarm'; available: reference, cluster"),
                badMode.err());
        assertEquals(1, badMode.err().strip().lines().count(), "one line: " + badMode.err());
        // the mode summaries of node runs report is not one a job config sets
        CliRun reportOnlyMode = run("train", "--run-dir", tmp.toString(), "troupe.train.mode=cluster-nodes");
        assertEquals(TroupeCli.USER_ERROR, reportOnlyMode.code());
        assertTrue(reportOnlyMode.err().contains("troupe.train.mode: unknown mode 'cluster-nodes'"),
                reportOnlyMode.err());
        CliRun badModel = run("train", "--run-dir", tmp.toString(), "troupe.model.readout=sideways");
        assertEquals(TroupeCli.USER_ERROR, badModel.code());
        assertTrue(badModel.err().contains("troupe.model.readout: unknown value 'sideways'; expected summary, mean"),
                badModel.err());
        CliRun badSolvedBy = run("train", "--run-dir", tmp.toString(),
                "troupe.train.evaluation.solved-by=sometimes");
        assertEquals(TroupeCli.USER_ERROR, badSolvedBy.code());
        assertTrue(badSolvedBy.err().contains("troupe.train.evaluation.solved-by: unknown value 'sometimes'; expected "
                + "window or evaluation"), badSolvedBy.err());
        CliRun solvedByNothing = run("train", "--run-dir", tmp.toString(), "troupe.train.algorithm=ppo",
                "troupe.train.evaluation.solved-by=evaluation");
        assertEquals(TroupeCli.USER_ERROR, solvedByNothing.code());
        assertTrue(solvedByNothing.err().contains("troupe.train.evaluation.solved-by = evaluation needs evaluations: "
                + "set troupe.train.evaluation.every-env-steps > 0"), solvedByNothing.err());
        CliRun fewerEpisodesThanEnvs = run("train", "--run-dir", tmp.toString(),
                "troupe.train.evaluation.episodes=8", "troupe.train.evaluation.envs=16");
        assertTrue(fewerEpisodesThanEnvs.err().contains("troupe.train.evaluation.envs must be between 1 and episodes "
                + "(8), got 16"), fewerEpisodesThanEnvs.err());
        CliRun noPasses = run("train", "--run-dir", tmp.toString(), "troupe.train.evaluation.passes=0");
        assertEquals(TroupeCli.USER_ERROR, noPasses.code());
        assertTrue(noPasses.err().contains("troupe.train.evaluation.passes must be >= 1 (evaluations in a row that "
                + "reach the target), got 0"), noPasses.err());
        CliRun evaluatedReference = run("train", "--run-dir", tmp.toString(), "troupe.train.algorithm=ppo",
                "troupe.train.mode=reference", "troupe.train.evaluation.every-env-steps=1000");
        assertEquals(TroupeCli.USER_ERROR, evaluatedReference.code());
        assertTrue(evaluatedReference.err().contains("troupe.train.evaluation.every-env-steps = 1000: greedy "
                + "evaluations run on the learner's node of a cluster run"), evaluatedReference.err());
        // an env parameter's error is the env's own, even with a reward whose dry run would make the env first
        CliRun badCurriculum = run("train", "--run-dir", tmp.toString(), "troupe.train.env=GoToObject-Hard-v0",
                "troupe.train.algorithm=ppo",
                "troupe.train.reward=distance", "troupe.environments.GoToObject-Hard-v0.params.curriculum.windw=3");
        assertEquals(TroupeCli.USER_ERROR, badCurriculum.code());
        assertTrue(badCurriculum.err().contains("troupe: env GoToObject-Hard-v0: unknown parameter 'curriculum.windw'; "
                + "expected curriculum.stages, curriculum.window, curriculum.advance-at or curriculum.gate"),
                badCurriculum.err());
        assertFalse(badCurriculum.err().contains("troupe.train.reward"), badCurriculum.err());
        // the learners' settings are checked before the node starts (they were read only by the learner)
        CliRun noEpochs = run("train", "--run-dir", tmp.toString(), "troupe.ppo.update-epochs=0");
        assertEquals(TroupeCli.USER_ERROR, noEpochs.code());
        assertEquals("troupe: troupe.ppo.update-epochs must be >= 1, got 0", noEpochs.err().strip(), noEpochs.err());
        CliRun badImpala = run("train", "--run-dir", tmp.toString(), "troupe.impala.learning-rate=fast");
        assertEquals(TroupeCli.USER_ERROR, badImpala.code());
        assertTrue(badImpala.err().contains("learning-rate"), badImpala.err());
        assertEquals(1, badImpala.err().strip().lines().count(), "one line: " + badImpala.err());
        CliRun notKv = run("train", "--run-dir", tmp.toString(), "seed");
        assertTrue(notKv.err().contains("not key=value"), notKv.err());
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(0, s.count(), "nothing is written for a bad config");
        }
    }

    @Test
    void benchEnvPrintsATableAndWritesJson() throws Exception {
        Path json = tmp.resolve("bench.json");
        CliRun r = run("bench", "env", "--seconds", "0.05", "--rounds", "1", "--envs", "4", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("CartPole-v1") && r.out().contains("GoToObject-v0"), r.out());
        String text = Files.readString(json);
        for (String key : List.of("\"CartPole-v1\"", "\"GoToObject-v0\"", "\"steps_per_s\"", "\"vector_steps_per_s\"",
                "\"envs\": 4")) {
            assertTrue(text.contains(key), key + " in " + text);
        }
    }

    @Test
    void benchActingMeasuresThePipelineAgainstTheInferenceCeiling() throws Exception {
        Path json = tmp.resolve("acting.json");
        CliRun r = run("bench", "acting", "--config", "../conf/cartpole.conf", "--seconds", "0.5", "--max-warm-up",
                "2", "--json", json.toString(), "troupe.train.num-agents=1", "troupe.train.envs-per-agent=4");
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(json);
        for (String key : List.of("\"acting_steps_per_s\"", "\"inference_ceiling_obs_per_s\"", "\"acting_vs_ceiling\"",
                "\"train_steps_per_s\"")) {
            assertTrue(text.contains(key), key + " in " + text);
        }
        long acting = Long.parseLong(text.replaceAll("(?s).*\"acting_steps_per_s\": (\\d+).*", "$1"));
        assertTrue(acting > 0, "agents stepped: " + text);
        // one ratio per pair of windows, printed between slashes
        String rounds = text.replaceAll("(?s).*\"acting_vs_ceiling_rounds\": \\[([^]]*)].*", "$1");
        assertEquals(4, rounds.split(",").length, text);
        assertTrue(r.out().matches("(?s).*acting_vs_ceiling_rounds +[0-9.]+ / [0-9.]+ / [0-9.]+ / [0-9.]+\n.*"),
                r.out());
        // --max-warm-up bounds the wait for a quiet JIT: each path warmed up for its 2 s, not more
        double warmUp = Double.parseDouble(text.replaceAll("(?s).*\"pipeline_warm_up_s\": ([0-9.]+).*", "$1"));
        assertTrue(warmUp >= 2 && warmUp < 3, text);
    }

    /** The reward commands against a real admin API on a loopback port. */
    @Test
    void rewardCommandsTalkToTheAdminApi() throws Exception {
        Config config = EmbeddedNode.config("",
                ConfigFactory.load());
        var system = EmbeddedNode.start("cli-reward", config);
        String token = "cli-test-token-0123456789";
        try (var server = AdminServer.start(system, new AdminSettings(0,
                "127.0.0.1", Optional.of(token), 300, Duration.ofSeconds(3)),
                EnvRegistry.defaults(),
                () -> JobSnapshot.node("test"))) {
            Path tokenFile = tmp.resolve("token");
            Files.writeString(tokenFile, token + "\n");
            String admin = server.url();
            CliRun set = run("reward", "set", "--env", "CartPole-v1", "--expr", "1 - abs(theta) / 0.21", "--note",
                    "upright", "--admin", admin, "--token-file", tokenFile.toString());
            assertEquals(0, set.code(), set.out() + set.err());
            assertTrue(set.out().contains("reward v1 is active") && set.out().contains("dry run on 304") /* 300 rounded up to 8 copies */, set.out());
            CliRun list = run("reward", "list", "--env", "CartPole-v1", "--admin", admin);
            assertTrue(list.out().contains("* v1  expr \"1 - abs(theta) / 0.21\"") && list.out().contains("(upright)"),
                    list.out());
            CliRun bad = run("reward", "set", "--env", "CartPole-v1", "--expr", "1 - abs(thta)", "--admin", admin,
                    "--token-file", tokenFile.toString());
            assertEquals(TroupeCli.USER_ERROR, bad.code());
            assertTrue(bad.err().contains("400") && bad.err().contains("column 9"), bad.err());
            Path wrong = tmp.resolve("wrong");
            Files.writeString(wrong, "not-the-token-0123456789");
            CliRun denied = run("reward", "rollback", "--env", "CartPole-v1", "--admin", admin, "--token-file",
                    wrong.toString());
            assertTrue(denied.err().contains("401"), denied.err());
            CliRun back = run("reward", "rollback", "--env", "CartPole-v1", "--admin", admin, "--token-file",
                    tokenFile.toString(), "--json");
            assertEquals(0, back.code(), back.err());
            assertTrue(back.out().contains("\"active\": 0"), back.out());
            CliRun test = run("reward", "test", "--env", "GoToObject-v0", "--expr", "reward + 0.1 * (prev_distance - distance)",
                    "--steps", "500", "--admin", admin, "--token-file", tokenFile.toString());
            assertTrue(test.out().contains("dry run on 504 simulated steps"), test.out() + test.err());
            CliRun status = run("cluster", "status", "--admin", admin);
            assertEquals(0, status.code(), status.err());
            assertTrue(status.out().contains("Up") && status.out().contains("reachable") && status.out().contains("learner"),
                    status.out());
            CliRun leave = run("cluster", "leave", "pekko://troupe@10.9.9.9:1", "--admin", admin, "--token-file",
                    tokenFile.toString());
            assertTrue(leave.err().contains("404") && leave.err().contains("not a member"), leave.err());
            CliRun unreachable = run("reward", "list", "--env", "CartPole-v1", "--admin", "http://127.0.0.1:1");
            assertTrue(unreachable.err().contains("cannot reach the admin API"), unreachable.err());
        } finally {
            EmbeddedNode.stop(system);
        }
    }
}
