package io.troupe.serving.model;

import io.troupe.core.EnvSpec;
import io.troupe.core.Policy;

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
