package io.troupe.replay.table;

import io.troupe.core.CrossNode;

/** A table's counters and its rate limiter's state. */
public record TableStats(String name, long size, long maxSize, long inserts, long samples, long deletes,
                         long stepsStored, long bytesStored, String rateLimiter, boolean canSample, boolean canInsert) implements CrossNode {
}
