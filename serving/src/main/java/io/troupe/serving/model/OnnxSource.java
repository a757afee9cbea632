package io.troupe.serving.model;

import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.edge.OnnxPolicy;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.export.ExportedEnv;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Replicas of an exported policy ({@code policy.onnx} with {@code policy.json} beside it, as {@code ./troupe export}
 * writes them) on ONNX Runtime, one intra-op thread each. The weights are constants of the graph: such a policy cannot
 * follow a training job's versions.
 */
public final class OnnxSource implements PolicySource {
    private final Path model;
    private final PolicyContract contract;
    private final EnvSpec spec;

    private OnnxSource(Path model, PolicyContract contract) {
        this.model = model;
        this.contract = contract;
        this.spec = EnvSpec.of(contract.envId(), contract.observation(), contract.action());
    }

    /** Opens {@code model} (a file, or a folder holding policy.onnx) and its contract; errors name the file. */
    public static OnnxSource open(Path model) {
        Path file = Files.isDirectory(model) ? model.resolve("policy.onnx") : model;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("ONNX model " + file + " does not exist; expected policy.onnx as "
                    + "./troupe export writes it, with policy.json beside it");
        }
        Path contract = file.toAbsolutePath().getParent().resolve(PolicyContract.FILE);
        OnnxSource source = new OnnxSource(file.toAbsolutePath(), PolicyContract.read(contract));
        source.newReplica().close(); // a corrupt or foreign model fails here, naming the file
        return source;
    }

    @Override
    public String backend() {
        return "onnx";
    }

    @Override
    public String location() {
        return model.toString();
    }

    @Override
    public EnvSpec spec() {
        return spec;
    }

    /** The contract's env, made with the settings it carries (the run's; the env's defaults without them). */
    @Override
    public Env newEnv() {
        return EnvRegistry.defaults().make(contract.envId(), ExportedEnv.overrides(contract));
    }

    @Override
    public String modelKind() {
        return contract.modelKind();
    }

    @Override
    public String modelId() {
        return contract.modelId();
    }

    @Override
    public long parameters() {
        return contract.parameters();
    }

    @Override
    public long version() {
        return contract.policyVersion();
    }

    @Override
    public Policy newReplica() {
        return OnnxPolicy.load(model, contract, 1);
    }
}
