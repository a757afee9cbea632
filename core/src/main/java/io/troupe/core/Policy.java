package io.troupe.core;

/**
 * A policy an agent acts with: it evaluates a batch of observations into action logits and value estimates, and takes
 * new weights as {@link PolicyWeights} bytes. Agents get one from a factory the composition root chooses (a DJL
 * network in practice), so the acting side never depends on the learning side. Not thread-safe: one per agent.
 */
public interface Policy extends AutoCloseable {

    /** Logits (rows x actions, row-major) and values (rows) of a batch. */
    record Evaluation(float[] logits, float[] values, int actions) {
    }

    /** The architecture's id: weights load only into a policy with the same id. */
    String modelId();

    Evaluation evaluate(ObservationBatch observations);

    /** Replaces the parameters; refuses weights of another architecture. */
    void load(PolicyWeights weights);

    @Override
    void close();
}
