package io.troupe.serving.metrics;

import io.troupe.core.PolicyWeights;
import io.troupe.serving.batch.BatchListener;
import java.util.concurrent.atomic.LongAdder;

/** One served policy's figures: batch sizes and times, refused and timed-out requests, refused weights. Thread-safe. */
public final class PolicyMetrics implements BatchListener {
    final Histogram batchRows = new Histogram(1, 2, 4, 8, 16, 32, 64, 128, 256, 512);
    final Histogram batchSeconds = new Histogram(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 1);
    final LongAdder rejected = new LongAdder();
    final LongAdder timedOut = new LongAdder();
    final LongAdder weightsRefused = new LongAdder();
    final LongAdder versionsFailedCheck = new LongAdder();

    @Override
    public void batch(int rows, int jobs, long nanos) {
        batchRows.observe(rows);
        batchSeconds.observe(nanos / 1e9);
    }

    @Override
    public void timedOut() {
        timedOut.increment();
    }

    @Override
    public void weightsRefused(int worker, PolicyWeights weights, RuntimeException why) {
        weightsRefused.increment();
    }

    /** A request refused because the queue was full. */
    public void rejected() {
        rejected.increment();
    }

    /** A new version that failed the quick check and is not served. */
    public void versionFailedCheck() {
        versionsFailedCheck.increment();
    }

    /** Mean observations per forward pass so far (0 before the first). */
    public double meanBatchRows() {
        long n = batchRows.count();
        return n == 0 ? 0 : batchRows.sum() / n;
    }

    public long batches() {
        return batchRows.count();
    }
}
