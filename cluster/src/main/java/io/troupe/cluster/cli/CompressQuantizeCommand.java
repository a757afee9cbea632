package io.troupe.cluster.cli;

import io.troupe.cluster.compress.CompressReport;
import io.troupe.cluster.compress.PolicyComparison;
import io.troupe.cluster.compress.StagedFiles;
import io.troupe.cluster.run.Evaluation;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.core.ObservationBatch;
import io.troupe.edge.OnnxPolicy;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.onnx.OnnxExporter;
import io.troupe.export.onnx.OnnxProto;
import io.troupe.export.quant.Calibration;
import io.troupe.export.quant.Int8Quantizer;
import io.troupe.export.quant.QuantSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code troupe compress quantize --checkpoint RUN_DIR --out policy-int8.onnx}: static post-training int8. The run's
 * policy is exported as float ONNX, run greedily in its own env to record a calibration set of real observations,
 * and rewritten with QuantizeLinear / DequantizeLinear pairs ({@link Int8Quantizer}) that ONNX Runtime fuses into its
 * int8 kernels. Writes the int8 model, its {@code policy.json} and {@code compress-report.json} (float ONNX against
 * int8 ONNX, both on ONNX Runtime) only when everything succeeded.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Static post-training int8 quantization of a run's policy (an ONNX graph with QDQ nodes).")
final class CompressQuantizeCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "a run directory (runs/<run-id>), its checkpoints/ folder, or a checkpoint folder")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "the int8 .onnx file to write (policy.json and compress-report.json go beside it)")
    Path out;

    @Option(names = "--calibration-episodes", defaultValue = "20", paramLabel = "N",
            description = "greedy episodes of the float policy in its env whose observations calibrate the "
                    + "activation ranges (default ${DEFAULT-VALUE})")
    int calibrationEpisodes;

    @Option(names = "--calibration", defaultValue = "minmax", paramLabel = "METHOD",
            description = "activation ranges: minmax, percentile (0.01..99.99) or entropy (KL, TensorRT's "
                    + "histogram method) (default ${DEFAULT-VALUE})")
    String calibration;

    @Option(names = "--per-channel", negatable = true,
            description = "weights with one scale per output channel; --no-per-channel: one scale per weight tensor; "
                    + "neither (default): per channel except where one scale per tensor moves the outputs no more "
                    + "on the calibration set. Activations always have one scale per tensor.")
    Boolean perChannel;

    @Option(names = "--opset", defaultValue = "" + OnnxExporter.DEFAULT_OPSET, paramLabel = "N",
            description = "ONNX opset of the graph (default ${DEFAULT-VALUE})")
    int opset;

    @Mixin
    CompressOptions eval;

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        if (calibrationEpisodes < 1) {
            throw new IllegalArgumentException("--calibration-episodes " + calibrationEpisodes + ": the calibration "
                    + "set would be empty; expected >= 1 episode");
        }
        eval.validate();
        QuantSettings settings = QuantSettings.of(Calibration.parse(calibration), perChannel == null
                ? QuantSettings.WeightScales.AUTO : perChannel ? QuantSettings.WeightScales.PER_CHANNEL
                : QuantSettings.WeightScales.PER_TENSOR);
        if (out.getFileName() == null || out.getFileName().toString().equals(PolicyContract.FILE)
                || out.getFileName().toString().equals(CompressReport.FILE) || Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + ": expected the .onnx file to write, such as "
                    + "policy-int8.onnx");
        }
        RunCheckpoint run = RunCheckpoint.open(checkpoint);
        TrainSettings train = TrainSettings.fromConfig(run.config());
        EnvRegistry registry = EnvRegistry.fromConfig(run.config());
        Path work = Files.createTempDirectory("troupe-quantize");
        try (StagedFiles files = new StagedFiles()) {
            Path floatFile = work.resolve("policy-float.onnx");
            PolicyContract floatContract = OnnxExporter.export(run, floatFile, opset);
            byte[] floatBytes = Files.readAllBytes(floatFile);
            List<ObservationBatch> calibrationSet = new ArrayList<>();
            Int8Quantizer.Result q;
            try (OnnxPolicy floatPolicy = OnnxPolicy.load(floatFile)) {
                Evaluation.episodes(registry, train.env(), train.envOverrides(), floatPolicy, calibrationEpisodes,
                        Math.min(calibrationEpisodes, 8), eval.seed + 1_000_003L,
                        (batch, e) -> calibrationSet.add(PolicyComparison.firstRows(List.of(batch), batch.rows())));
                q = Int8Quantizer.quantize(OnnxProto.Model.parse(floatBytes), calibrationSet, settings);
            }
            String name = out.getFileName().toString();
            PolicyContract int8Contract = new PolicyContract(floatContract.format(), name, floatContract.envId(),
                    floatContract.modelKind(), floatContract.modelId(), floatContract.parameters(),
                    floatContract.policyVersion(), floatContract.weightsSha256(), floatContract.troupeVersion(),
                    floatContract.opset(), floatContract.observationSpace(), floatContract.actionSpace(),
                    floatContract.inputs(), floatContract.outputs(), floatContract.envSettings());
            byte[] int8Bytes = q.model().toBytes();
            Path int8File = work.resolve(name);
            Files.write(int8File, int8Bytes);
            CompressReport report;
            try (OnnxPolicy original = OnnxPolicy.load(floatFile);
                 OnnxPolicy compressed = OnnxPolicy.load(int8File, int8Contract, 1)) {
                PolicyComparison.Result r = PolicyComparison.compare(registry, train.env(), train.envOverrides(),
                        original, compressed, eval.evalEpisodes, eval.seed);
                ObservationBatch b1 = PolicyComparison.firstRows(calibrationSet, 1);
                ObservationBatch b16 = PolicyComparison.firstRows(calibrationSet, 16);
                String backend = "ONNX Runtime, 1 intra-op thread";
                boolean success = run.spec().definesSuccess();
                // latency of both in the same run, call by call in turn so that load changes hit both alike
                double[] l1 = PolicyComparison.medianLatenciesMicros(original, compressed, b1, eval.latencySeconds);
                double[] l16 = PolicyComparison.medianLatenciesMicros(original, compressed, b16,
                        eval.latencySeconds);
                double o1 = l1[0];
                double c1 = l1[1];
                double o16 = l16[0];
                double c16 = l16[1];
                CompressReport.PolicyFigures of = new CompressReport.PolicyFigures("float32 ONNX",
                        "policy-float.onnx (exported for the comparison, not kept)", backend,
                        floatContract.parameters(), floatBytes.length, o1, o16, PolicyComparison.meanReturn(
                                r.original()), success ? PolicyComparison.successRate(r.original()) : null);
                CompressReport.PolicyFigures cf = new CompressReport.PolicyFigures("int8 ONNX (QDQ)",
                        out.toString(), backend, floatContract.parameters(), int8Bytes.length, c1, c16,
                        PolicyComparison.meanReturn(r.compressed()),
                        success ? PolicyComparison.successRate(r.compressed()) : null);
                List<CompressReport.Detail> details = new ArrayList<>();
                details.add(new CompressReport.Detail("calibration", String.format(Locale.ROOT,
                        "%s over %,d observations of %d greedy episodes of the float policy", settings.calibration()
                                .label(), rows(calibrationSet), calibrationEpisodes)));
                long perChannelWeights = q.layers().stream().filter(l -> l.int8Weights() && l.perChannel())
                        .count();
                long int8Weights = q.layers().stream().filter(Int8Quantizer.Layer::int8Weights).count();
                details.add(new CompressReport.Detail("weights", String.format(Locale.ROOT, "int8, symmetric; %s; "
                        + "one scale per output channel for %d of %d", switch (settings.weightScales()) {
                            case PER_CHANNEL -> "per output channel";
                            case PER_TENSOR -> "per tensor";
                            case AUTO -> "per tensor where that moves the outputs no more than per channel";
                        }, perChannelWeights, int8Weights)));
                details.add(new CompressReport.Detail("activations", "uint8, asymmetric, one scale per tensor"));
                details.add(new CompressReport.Detail("layers in int8", String.format(Locale.ROOT, "%d of %d "
                        + "layers with a weight (Gemm, MatMul by a weight, Conv)", q.weightLayers().size()
                        - q.floatLayers().size() - q.weightOnlyLayers().size(), q.weightLayers().size())));
                details.add(new CompressReport.Detail("layers weight-only", q.weightOnlyLayers().isEmpty() ? "none"
                        : q.weightOnlyLayers().stream().map(l -> String.format(Locale.ROOT, "%s (int8 weights, "
                        + "float input: alone in int8 agreement %.4f, relative error %.4f; weight-only %.4f, "
                        + "%.4f)", l.name(), l.agreement(), l.relativeError(), l.weightsAgreement(),
                        l.weightsRelativeError())).collect(Collectors.joining("; "))));
                details.add(new CompressReport.Detail("other parameters stored int8", String.format(Locale.ROOT,
                        "%d of %d (rank >= 2, >= %d values: embeddings, positions, LayerNorm gamma and beta; "
                                + "dequantized where read)", q.parameters().stream().filter(Int8Quantizer.Layer::int8)
                                .count(), q.parameters().size(), Int8Quantizer.WEIGHT_ONLY_MIN_ELEMENTS)));
                List<Int8Quantizer.Layer> keptFloat = q.layers().stream().filter(l -> !l.int8Weights()).toList();
                details.add(new CompressReport.Detail("layers and parameters kept in float", keptFloat.isEmpty()
                        ? "none" : keptFloat.stream().map(l -> String.format(Locale.ROOT, "%s (alone in int8: agreement "
                        + "%.4f, relative error %.4f)", l.name(), l.agreement(), l.relativeError()))
                        .collect(Collectors.joining("; "))));
                details.add(new CompressReport.Detail("ONNX Runtime's operators after its optimizations",
                        q.runtimeOps().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                                .collect(Collectors.joining(", "))));
                details.add(new CompressReport.Detail("int8 vs float on the calibration set", String.format(
                        Locale.ROOT, "greedy agreement %.4f, relative RMS error %.4f, max |difference| %.3g "
                                + "(logits and value)", q.agreement(), q.relativeError(), q.maxAbsError())));
                report = new CompressReport("quantize", train.env(), run.checkpointDir().toString(), of, cf,
                        r.greedyAgreement(), r.meanKl(), r.steps(), (System.nanoTime() - start) / 1e9, details);
            }
            files.write(out, int8Bytes);
            files.write(out.toAbsolutePath().resolveSibling(PolicyContract.FILE),
                    int8Contract.toJson().getBytes(StandardCharsets.UTF_8));
            report.stage(files, out.toAbsolutePath().getParent());
            files.commit();
            report.print(System.out);
            System.out.printf("wrote %s, %s and %s%n", out, out.toAbsolutePath().resolveSibling(PolicyContract.FILE),
                    out.toAbsolutePath().resolveSibling(CompressReport.FILE));
            return 0;
        } finally {
            deleteTree(work);
        }
    }

    private static long rows(List<ObservationBatch> batches) {
        return batches.stream().mapToLong(ObservationBatch::rows).sum();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the temporary folder " + dir + ": " + e.getMessage(), e);
        }
    }
}
