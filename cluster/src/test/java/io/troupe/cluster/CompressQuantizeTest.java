package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.export.onnx.OnnxProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./troupe compress quantize} on a CartPole run trained here (60k steps of the default job): it writes the int8
 * model, its policy.json and compress-report.json; the int8 policy chooses the float policy's greedy action on at
 * least 98% of the float policy's steps and keeps at least 95% of its return. Bad inputs (an empty calibration set,
 * a checkpoint that does not load, an unknown calibration method) are one line, exit 2, and nothing written.
 */
class CompressQuantizeTest {
    /** Stated fraction: greedy agreement of int8 with float on the float policy's own trajectory. */
    static final double MIN_AGREEMENT = 0.98;

    @TempDir
    Path tmp;

    @Test
    void quantizesATrainedCartPoleAndRefusesBadInputs() throws Exception {
        Path runs = tmp.resolve("runs");
        assertEquals(0, TroupeCli.commandLine().execute("train", "--config", Path.of("..", "conf", "cartpole.conf")
                .toString(), "--run-dir", runs.toString(), "troupe.train.max-env-steps=60000"));
        Path run;
        try (Stream<Path> s = Files.list(runs)) {
            run = s.findFirst().orElseThrow();
        }
        Path out = tmp.resolve("int8").resolve("policy-int8.onnx");
        CliRun ok = CliRun.of("compress", "quantize", "--checkpoint", run.toString(), "--out", out.toString(),
                "--calibration-episodes", "5", "--calibration", "percentile", "--eval-episodes", "20",
                "--latency-seconds", "0.1");
        assertEquals(0, ok.code(), ok.err() + ok.out());
        assertTrue(ok.out().contains("greedy action agreement") && ok.out().contains("bytes on disk"), ok.out());
        OnnxProto.Model model = OnnxProto.Model.parse(Files.readAllBytes(out));
        assertTrue(model.graph().initializers().stream().anyMatch(t -> t.dataType() == OnnxProto.INT8));
        assertTrue(Files.isRegularFile(out.resolveSibling("policy.json")));
        JsonNode report = new ObjectMapper().readTree(out.resolveSibling("compress-report.json").toFile());
        assertEquals("quantize", report.get("method").asText());
        double agreement = report.get("greedy_agreement").asDouble();
        assertTrue(agreement >= MIN_AGREEMENT, "greedy agreement " + agreement);
        double floatReturn = report.get("original").get("mean_return").get("mean").asDouble();
        double int8Return = report.get("compressed").get("mean_return").get("mean").asDouble();
        assertTrue(int8Return >= 0.95 * floatReturn, int8Return + " vs " + floatReturn);
        assertTrue(report.get("compressed").get("bytes").asLong() < report.get("original").get("bytes").asLong());
        assertEquals(20, report.get("original").get("mean_return").get("n").asInt());
        // the report says which layers are weight-only (int8 weights, float input) and how the weights are scaled
        List<String> details = new ArrayList<>();
        report.get("details").forEach(d -> details.add(d.get("name").asText()));
        assertTrue(details.containsAll(List.of("weights", "layers weight-only", "layers and parameters kept in float")),
                details.toString());
        // the eval option is used by the mixin every compress subcommand shares; a CI is present
        assertTrue(report.get("original").get("mean_return").get("low").asDouble() <= floatReturn);

        Path nothing = tmp.resolve("nothing");
        Files.createDirectories(nothing);
        Path target = nothing.resolve("policy-int8.onnx");
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken.resolve("checkpoints/latest"));
        Files.copy(run.resolve("config.conf"), broken.resolve("config.conf"));
        Files.writeString(broken.resolve("checkpoints/latest/weights.trpw"), "not weights");
        for (List<String> args : List.of(
                List.of("--checkpoint", run.toString(), "--calibration-episodes", "0"),
                List.of("--checkpoint", broken.toString()),
                List.of("--checkpoint", tmp.resolve("no-such-run").toString()),
                List.of("--checkpoint", run.toString(), "--calibration", "kl"))) {
            String[] full = Stream.concat(Stream.of("compress", "quantize", "--out", target.toString()),
                    args.stream()).toArray(String[]::new);
            CliRun bad = CliRun.of(full);
            assertEquals(TroupeCli.USER_ERROR, bad.code(), args + ": " + bad.err() + bad.out());
            assertEquals(1, bad.err().strip().lines().count(), bad.err());
            try (Stream<Path> s = Files.list(nothing)) {
                assertEquals(List.of(), s.toList(), args + " wrote files");
            }
        }
        assertTrue(CliRun.of("compress", "quantize", "--out", target.toString(), "--checkpoint", run.toString(),
                "--calibration-episodes", "0").err().contains("--calibration-episodes 0: the calibration set would "
                + "be empty"));
    }
}
