package io.troupe.serving.model;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;

/**
 * Where a served policy's replicas come from: a DJL checkpoint of a run ({@link CheckpointSource}) or an exported ONNX
 * model. Each worker of the batcher gets its own replica.
 */
public interface PolicySource {
    /** {@code djl} or {@code onnx}. */
    String backend();

    /** The file or directory it was read from. */
    String location();

    /** The env the policy was trained on: id, observation and action spaces. */
    EnvSpec spec();

    /**
     * A new copy of the env the policy was trained on, made as its run made it (the run's env registrations and
     * overrides, e.g. GoToObject's agent-centred view): what drift's reference episodes play; the caller closes it.
     * By default the env id with default settings, for sources that know no run (an exported model).
     */
    default Env newEnv() {
        return EnvRegistry.defaults().make(spec().id(), ConfigFactory.empty());
    }

    /** {@code mlp} or {@code transformer}. */
    String modelKind();

    /** Troupe's architecture id: weights load only into replicas of the same id. */
    String modelId();

    /** Scalar parameters of the network. */
    long parameters();

    /** The policy version the source's weights are. */
    long version();

    /** A new replica holding the source's weights, on the CPU; the caller closes it. */
    Policy newReplica();
}
