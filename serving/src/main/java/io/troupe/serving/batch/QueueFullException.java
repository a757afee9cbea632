package io.troupe.serving.batch;

/** The batcher's queue holds {@code job-queue-size} requests already: this one is refused at once (HTTP 503). */
public final class QueueFullException extends RuntimeException {
    private final int queueSize;

    public QueueFullException(String policy, int queueSize) {
        super("policy '" + policy + "' is overloaded: its " + queueSize + " queue places "
                + "(troupe.serving.job-queue-size)"
                + " are taken; retry shortly", null, false, false);
        this.queueSize = queueSize;
    }

    public int queueSize() {
        return queueSize;
    }
}
