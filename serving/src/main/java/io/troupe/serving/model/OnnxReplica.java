package io.troupe.serving.model;

import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.edge.OnnxPolicy;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.export.onnx.OnnxExporter;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A DJL model served through ONNX Runtime: its forward passes run on an ONNX export of the model's weights
 * ({@link OnnxExporter}, one intra-op thread), which is several times faster than DJL at serving's batch sizes. It
 * still follows a training job: {@link #load} loads the new weights into the DJL model and exports it again (the
 * export goes through a temporary folder that is deleted at once). Not thread-safe, as every replica.
 */
public final class OnnxReplica implements Policy {
    private final PolicyModel model;
    private OnnxPolicy onnx;

    /** Serves {@code model} (which this replica owns and closes) as of {@code version}. */
    public OnnxReplica(PolicyModel model, long version) {
        this.model = model;
        try {
            this.onnx = export(model, version);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * The opset of the graph a replica builds for itself: the newest the exporter writes, since this process's own
     * ONNX Runtime runs it and no other runtime ever reads it (an exported file keeps the portable default). At 23 the
     * attention is ONNX's Attention operator: the GoToObject transformer 20-25% faster per observation at batch 16-64.
     */
    static final int SERVING_OPSET = OnnxExporter.MAX_OPSET;

    /** The ONNX Runtime policy of {@code model}'s current weights. */
    static OnnxPolicy export(PolicyModel model, long version) {
        Path dir;
        try {
            dir = Files.createTempDirectory("troupe-serve-onnx");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder for the ONNX export: " + e.getMessage(),
                    e);
        }
        try {
            Path file = dir.resolve("policy.onnx");
            PolicyContract contract = OnnxExporter.export(model, Math.max(0, version), file, SERVING_OPSET);
            return OnnxPolicy.load(file, contract, 1);
        } finally {
            delete(dir);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the temporary ONNX export " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String modelId() {
        return model.modelId();
    }

    @Override
    public Evaluation evaluate(ObservationBatch observations) {
        return onnx.evaluate(observations);
    }

    /** Loads {@code weights} into the DJL model and serves their ONNX export from the next forward pass. */
    @Override
    public void load(PolicyWeights weights) {
        model.load(weights);
        OnnxPolicy next = export(model, weights.version());
        onnx.close();
        onnx = next;
    }

    @Override
    public void close() {
        onnx.close();
        model.close();
    }
}
