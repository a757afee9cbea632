package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./troupe export}: a run becomes policy.onnx + policy.json; every bad input is one line and exit code 2. */
class ExportCommandTest {
    @TempDir
    Path dir;

    /** A CartPole run as training leaves it: config.conf and checkpoints/latest/ (policy version 7). */
    private Path cartPoleRun() throws Exception {
        Path run = dir.resolve("runs/cartpole");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.conf"), "troupe.train.env = \"CartPole-v1\"\n"
                + "troupe.model { kind = mlp, mlp-hidden = [64, 64] }\n");
        try (Env env = EnvRegistry.defaults().make("CartPole-v1");
             PolicyModel model = PolicyModel.create(env.spec(), ModelConfig.mlp(64, 64), 1, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            LearnerCheckpoint.save(run.resolve("checkpoints"), model, adam, new LearnerCheckpoint.Counters(3, 300, 7));
        }
        return run;
    }

    @Test
    void exportsARunAsAnOnnxGraphWithItsContract() throws Exception {
        Path run = cartPoleRun();
        Path onnx = dir.resolve("out/policy.onnx");
        CliRun r = CliRun.of("export", "--checkpoint", run.toString(), "--out", onnx.toString(), "--opset", "18");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("CartPole-v1, policy version 7 of "), r.out());
        assertTrue(r.out().contains("inputs obs float32[-1, 4], outputs logits and value"), r.out());
        assertTrue(Files.size(onnx) > 0);
        PolicyContract c = PolicyContract.read(dir.resolve("out/policy.json"));
        assertEquals(18, c.opset());
        assertEquals(7, c.policyVersion());
        assertEquals("policy.onnx", c.model());
    }

    @Test
    void eachBadInputIsOneLineNamingItAndExitCodeTwo() throws Exception {
        Path run = cartPoleRun();
        String out = dir.resolve("x/policy.onnx").toString();

        Path missing = dir.resolve("runs/missing");
        oneLine(CliRun.of("export", "--checkpoint", missing.toString(), "--out", out),
                "troupe: checkpoint " + missing + " does not exist");
        oneLine(CliRun.of("export", "--checkpoint", run.toString(), "--out", out, "--opset", "16"),
                "troupe: ONNX opset 16 is not supported; expected 17..23");
        oneLine(CliRun.of("export", "--checkpoint", run.toString(), "--out", out, "--platform", "linux-x86_64"),
                "troupe: --platform linux-x86_64 applies to --format bundle only");
        oneLine(CliRun.of("export", "--checkpoint", run.toString(), "--out", dir.resolve("bundle").toString(),
                "--format", "bundle", "--platform", "linux-x86_64,solaris-sparc"), "troupe: unknown platform"
                + " 'solaris-sparc'; known platforms: linux-x86_64, linux-aarch64, osx-aarch64, windows-x86_64");

        // a checkpoint of another shape: the run's config now says a narrower network
        Path conf = run.resolve("config.conf");
        String original = Files.readString(conf);
        Files.writeString(conf, original.replace("[64, 64]", "[32, 32]"));
        oneLine(CliRun.of("export", "--checkpoint", run.toString(), "--out", out),
                "troupe: checkpoint " + run.resolve("checkpoints/latest").toAbsolutePath()
                        + " does not fit the run's model mlp[32,32]");
        Files.writeString(conf, original);

        // a damaged weights file (the only checkpoint: no previous/ to fall back to)
        Path weights = run.resolve("checkpoints/latest/weights.trpw");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 0x11;
        Files.write(weights, bytes);
        oneLine(CliRun.of("export", "--checkpoint", run.toString(), "--out", out),
                "troupe: checkpoint " + run.resolve("checkpoints/latest").toAbsolutePath() + " is unreadable");
        assertFalse(Files.exists(dir.resolve("x")), "nothing written for a bad input");
    }

    private static void oneLine(CliRun r, String prefix) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith(prefix), r.err());
        assertEquals("", r.out());
    }
}
