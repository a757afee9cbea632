package io.troupe.serving.batch;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * The dynamic batcher's knobs, named as DJL Serving names them (read once from {@code troupe.serving}).
 *
 * @param jobQueueSize  requests waiting for a worker; one more is refused at once ({@code job-queue-size})
 * @param maxBatchSize  observations one forward pass takes at most ({@code max-batch-size})
 * @param maxBatchDelay how long a worker holding a first request waits for more before it runs the batch
 *                      ({@code max-batch-delay}; 0: take only what is already queued)
 * @param workers       worker threads, each with its own model replica ({@code workers})
 * @param requestTimeout how long a request may wait for its answer, queued and in its forward pass; one still waiting
 *                      then is answered with {@link RequestTimeoutException} ({@code request-timeout}; longer than
 *                      {@code max-batch-delay})
 */
public record BatcherSettings(int jobQueueSize, int maxBatchSize, Duration maxBatchDelay, int workers,
                              Duration requestTimeout) {
    public BatcherSettings {
        if (jobQueueSize < 1) {
            throw new IllegalArgumentException("troupe.serving.job-queue-size must be >= 1, got " + jobQueueSize);
        }
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("troupe.serving.max-batch-size must be >= 1, got " + maxBatchSize);
        }
        if (maxBatchDelay == null || maxBatchDelay.isNegative()) {
            throw new IllegalArgumentException("troupe.serving.max-batch-delay must be >= 0, got " + maxBatchDelay);
        }
        if (workers < 1 || workers > 64) {
            throw new IllegalArgumentException("troupe.serving.workers must be in 1..64, got " + workers);
        }
        if (requestTimeout == null || requestTimeout.compareTo(maxBatchDelay) <= 0) {
            throw new IllegalArgumentException("troupe.serving.request-timeout must be longer than max-batch-delay ("
                    + maxBatchDelay.toMillis() + " ms), got " + (requestTimeout == null ? "none"
                    : requestTimeout.toMillis() + " ms"));
        }
    }

    /**
     * Reads {@code job-queue-size}, {@code max-batch-size}, {@code max-batch-delay}, {@code workers} and
     * {@code request-timeout}.
     */
    public static BatcherSettings fromConfig(Config serving) {
        try {
            return new BatcherSettings(serving.getInt("job-queue-size"), serving.getInt("max-batch-size"),
                    serving.getDuration("max-batch-delay"), serving.getInt("workers"),
                    serving.getDuration("request-timeout"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.serving: " + e.getMessage(), e);
        }
    }

    public BatcherSettings withMaxBatchSize(int size) {
        return new BatcherSettings(jobQueueSize, size, maxBatchDelay, workers, requestTimeout);
    }

    public BatcherSettings withMaxBatchDelay(Duration delay) {
        return new BatcherSettings(jobQueueSize, maxBatchSize, delay, workers, requestTimeout);
    }
}
