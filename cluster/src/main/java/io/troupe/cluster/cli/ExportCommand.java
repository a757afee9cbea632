package io.troupe.cluster.cli;

import io.troupe.edge.contract.PolicyContract;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.bundle.EdgeBundle;
import io.troupe.export.bundle.EdgePlatform;
import io.troupe.export.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code troupe export --checkpoint RUN_DIR --out policy.onnx [--opset 17]}: a run's policy as one ONNX graph with its
 * contract ({@code policy.json}) beside it; {@code --format bundle --out DIR [--platform ...]}: an edge bundle.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a run's policy as an ONNX graph with its contract (policy.json), or as an edge bundle.")
final class ExportCommand implements Callable<Integer> {

    /** What {@code --format} writes. */
    enum Format {
        /** One .onnx file and policy.json beside it. */
        ONNX,
        /** A directory: the model, its contract and a runnable inference jar. */
        BUNDLE
    }

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "a run directory (runs/<run-id>), its checkpoints/ folder, or a checkpoint folder")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = "the .onnx file to write (onnx; policy.json goes beside it) or the bundle directory (bundle)")
    Path out;

    @Option(names = "--opset", defaultValue = "" + OnnxExporter.DEFAULT_OPSET, paramLabel = "N",
            description = "ONNX opset of the graph, " + OnnxExporter.MIN_OPSET + ".." + OnnxExporter.MAX_OPSET
                    + " (default ${DEFAULT-VALUE})")
    int opset;

    @Option(names = "--format", defaultValue = "onnx", paramLabel = "FORMAT", converter = FormatConverter.class,
            description = "onnx (default) or bundle")
    Format format;

    @Option(names = "--platform", split = ",", paramLabel = "PLATFORM",
            description = "bundle only: ONNX Runtime natives to include (linux-x86_64, linux-aarch64, osx-aarch64; "
                    + "default: this machine's)")
    List<String> platforms;

    @Override
    public Integer call() {
        if (format == Format.ONNX && platforms != null) {
            throw new IllegalArgumentException("--platform " + String.join(",", platforms)
                    + " applies to --format bundle only");
        }
        RunCheckpoint run = RunCheckpoint.open(checkpoint);
        if (format == Format.BUNDLE) {
            EdgeBundle.Written w = EdgeBundle.write(run, out, platforms == null ? List.of() : platforms);
            System.out.printf("%s, policy version %d of %s: wrote the edge bundle %s (%.1f MiB; %s, %s, %s for %s,"
                    + " %s, %s); try: java -jar %s act --obs %s%n", w.contract().envId(), w.contract().policyVersion(),
                    run.checkpointDir(), out, w.bytes() / 1048576.0, EdgeBundle.MODEL, PolicyContract.FILE,
                    EdgeBundle.JAR, w.platforms().stream().map(EdgePlatform::label).collect(Collectors.joining(", ")),
                    EdgeBundle.EXAMPLE, EdgeBundle.README, out.resolve(EdgeBundle.JAR),
                    out.resolve(EdgeBundle.EXAMPLE));
            return 0;
        }
        PolicyContract c = OnnxExporter.export(run, out, opset);
        String inputs = c.inputs().stream().map(i -> i.name() + " " + i.dtype() + Arrays.toString(i.shape()))
                .collect(Collectors.joining(", "));
        System.out.printf("%s, policy version %d of %s (%s, %,d parameters): wrote %s and %s; opset %d, inputs %s, "
                + "outputs logits and value%n", c.envId(), c.policyVersion(), run.checkpointDir(), c.modelId(),
                c.parameters(), out, out.toAbsolutePath().resolveSibling(PolicyContract.FILE), c.opset(), inputs);
        return 0;
    }

    /** {@code onnx} or {@code bundle}, in any case; anything else names the option and the formats. */
    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            for (Format f : Format.values()) {
                if (f.name().equalsIgnoreCase(value.strip())) {
                    return f;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a format; expected onnx "
                    + "or bundle");
        }
    }
}
