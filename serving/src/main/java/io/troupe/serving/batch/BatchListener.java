package io.troupe.serving.batch;

import io.troupe.core.PolicyWeights;

/** What a batcher reports as it works (for metrics and logs); called on worker threads, so keep it cheap. */
public interface BatchListener {
    BatchListener NONE = new BatchListener() {
    };

    /** A forward pass of {@code rows} observations from {@code jobs} requests took {@code nanos}. */
    default void batch(int rows, int jobs, long nanos) {
    }

    /**
     * A request was failed with {@link RequestTimeoutException}: no answer within {@code request-timeout}. Called on
     * the batcher's deadline thread just before the request's future fails.
     */
    default void timedOut() {
    }

    /** A worker's replica refused {@code weights}; it keeps serving the version it had. */
    default void weightsRefused(int worker, PolicyWeights weights, RuntimeException why) {
    }
}
