package io.troupe.export.onnx;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.EnvSpec;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.edge.contract.SpaceJson;
import io.troupe.export.ExportedEnv;
import io.troupe.export.RunCheckpoint;
import io.troupe.export.onnx.OnnxProto.Entry;
import io.troupe.export.onnx.OnnxProto.Graph;
import io.troupe.export.onnx.OnnxProto.Model;
import io.troupe.export.onnx.OnnxProto.OpsetId;
import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * Writes a trained policy as one ONNX graph ({@link PolicyGraph}: every modality's encoder, the transformer or the MLP,
 * the policy and value heads) and its contract ({@code policy.json}, {@link PolicyContract}) beside it. The graph's
 * inputs are the contract's, one per modality with a dynamic batch dimension; its outputs are {@code logits} and
 * {@code value}. Model metadata carries the env id, the spaces, the policy version, the weights' SHA-256, the model id
 * and Troupe's version. Before writing, the graph passes {@link GraphCheck} against the contract.
 */
public final class OnnxExporter {
    /** The opset written unless asked otherwise. */
    public static final int DEFAULT_OPSET = 17;
    /** Lowest opset written: the graph's ops as written (norms as ReduceMean arithmetic) are checked from 17 up. */
    public static final int MIN_OPSET = 17;
    /** Highest opset written (ONNX Runtime 1.29, the edge runtime, loads up to 26; the IR table here ends at 23). */
    public static final int MAX_OPSET = 23;

    /** Metadata keys. */
    public static final String META_ENV_ID = "troupe.env_id";
    public static final String META_OBSERVATION_SPACE = "troupe.observation_space";
    public static final String META_ACTION_SPACE = "troupe.action_space";
    public static final String META_POLICY_VERSION = "troupe.policy_version";
    public static final String META_WEIGHTS_SHA256 = "troupe.weights_sha256";
    public static final String META_MODEL_ID = "troupe.model_id";
    public static final String META_MODEL_KIND = "troupe.model_kind";
    public static final String META_TROUPE_VERSION = "troupe.version";

    private OnnxExporter() {
    }

    /**
     * Exports a run's checkpoint (loaded on the CPU) to {@code onnxOut}, with {@code policy.json} beside it; returns
     * the contract. A checkpoint that does not fit the run's model, an unknown layer or an opset out of range is an
     * {@link IllegalArgumentException} naming it.
     */
    public static PolicyContract export(RunCheckpoint run, Path onnxOut, int opset) {
        checkOpset(opset);
        checkOut(onnxOut);
        try (PolicyModel model = run.newModel(Device.cpu())) {
            return write(model, run.policyVersion(), sha256(run.policy().weights()), onnxOut, opset,
                    ExportedEnv.settingsOf(run));
        }
    }

    /** Exports a live model (its env id and spaces from {@code model.spec()}) as of {@code policyVersion}. */
    public static PolicyContract export(PolicyModel model, long policyVersion, Path onnxOut, int opset) {
        checkOpset(opset);
        checkOut(onnxOut);
        return write(model, policyVersion, sha256(model.weights(policyVersion).bytes()), onnxOut, opset, null);
    }

    /** The ONNX model of {@code model} (no files written). */
    public static Model toOnnx(PolicyModel model, long policyVersion, int opset) {
        checkOpset(opset);
        return model(model, policyVersion, sha256(model.weights(policyVersion).bytes()), opset);
    }

    /** The ONNX IR version that goes with {@code opset} (ONNX's versioning table). */
    public static long irVersion(int opset) {
        if (opset <= 18) {
            return 8;
        }
        if (opset <= 20) {
            return 9;
        }
        if (opset <= 22) {
            return 10;
        }
        return 11;
    }

    /** Troupe's version (the build's project version), or {@code unknown} outside a build. */
    public static String troupeVersion() {
        try (InputStream in = OnnxExporter.class.getResourceAsStream("troupe-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void checkOpset(int opset) {
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new IllegalArgumentException("ONNX opset " + opset + " is not supported; expected " + MIN_OPSET + ".."
                    + MAX_OPSET + " (the opsets this exporter writes and checks against ONNX Runtime)");
        }
    }

    private static void checkOut(Path onnxOut) {
        Path name = onnxOut.getFileName();
        if (name == null || name.toString().equals(PolicyContract.FILE)) {
            throw new IllegalArgumentException("model file " + onnxOut + ": expected a file name other than "
                    + PolicyContract.FILE + " (the contract written beside it), such as policy.onnx");
        }
        if (Files.isDirectory(onnxOut)) {
            throw new IllegalArgumentException("model file " + onnxOut + " is a directory; expected the .onnx file "
                    + "to write, such as " + onnxOut.resolve("policy.onnx"));
        }
    }

    private static PolicyContract write(PolicyModel model, long version, String sha, Path onnxOut, int opset,
                                        JsonNode envSettings) {
        if (model.config().ablate() != Ablation.NONE) {
            throw new IllegalArgumentException("model " + model.modelId() + " was trained with troupe.model.ablate = "
                    + model.config().ablate().label() + ": an ablation is an experiment's control, not a policy to "
                    + "deploy, and its graph would see the real input; expected a model with ablate = none");
        }
        Model onnx = model(model, version, sha, opset);
        PolicyContract contract = contract(model, version, sha, onnxOut.getFileName().toString(), opset,
                envSettings);
        List<String> problems = GraphCheck.check(onnx, contract);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the exported graph of " + model.modelId() + " fails its own check: "
                    + String.join("; ", problems));
        }
        try {
            Path dir = onnxOut.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Files.write(onnxOut, onnx.toBytes());
            contract.write(dir.resolve(PolicyContract.FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + onnxOut + ": " + e.getMessage(), e);
        }
        return contract;
    }

    private static Model model(PolicyModel model, long version, String sha, int opset) {
        EnvSpec spec = model.spec();
        ModelConfig config = model.config();
        ParameterTable params = new ParameterTable(model.modelId(), model.parameters());
        Graph graph = switch (config.kind()) {
            case MLP -> PolicyGraph.mlp(spec.observationSpace(), config, model.actions(), params, opset);
            case TRANSFORMER -> PolicyGraph.transformer(spec.observationSpace(), config, model.actions(), params,
                    opset);
        };
        String troupe = troupeVersion();
        List<Entry> metadata = List.of(
                new Entry(META_ENV_ID, spec.id()),
                new Entry(META_OBSERVATION_SPACE, SpaceJson.write(spec.observationSpace()).toString()),
                new Entry(META_ACTION_SPACE, SpaceJson.write(spec.actionSpace()).toString()),
                new Entry(META_POLICY_VERSION, Long.toString(version)),
                new Entry(META_WEIGHTS_SHA256, sha),
                new Entry(META_MODEL_ID, model.modelId()),
                new Entry(META_MODEL_KIND, config.kind().label()),
                new Entry(META_TROUPE_VERSION, troupe));
        return new Model(irVersion(opset), List.of(new OpsetId("", opset)), "troupe", troupe,
                "Troupe policy " + model.modelId() + ", policy version " + version, graph, metadata);
    }

    private static PolicyContract contract(PolicyModel model, long version, String sha, String file, int opset,
                                           JsonNode envSettings) {
        EnvSpec spec = model.spec();
        return new PolicyContract(PolicyContract.FORMAT, file, spec.id(), model.config().kind().label(),
                model.modelId(), model.parameterCount(), version, sha, troupeVersion(), opset,
                SpaceJson.write(spec.observationSpace()), SpaceJson.write(spec.actionSpace()),
                PolicyContract.inputsOf(spec.observationSpace()), PolicyContract.outputsOf(model.actions()),
                envSettings);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
