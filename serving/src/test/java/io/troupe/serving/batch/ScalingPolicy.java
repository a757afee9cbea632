package io.troupe.serving.batch;

import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A two-action test policy over a one-number observation x: logits (x * w, -x * w), value w, where the weight w is the
 * first byte of the weights it loaded. It records every batch's size and the weight it ran with, and can be held
 * inside a forward pass until released.
 */
final class ScalingPolicy implements Policy {
    /** One forward pass: its rows and the weight it used. */
    record Pass(int rows, float weight) {
    }

    final List<Pass> passes = new CopyOnWriteArrayList<>();
    volatile CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch hold = new CountDownLatch(0);
    private volatile float weight;

    ScalingPolicy(float weight) {
        this.weight = weight;
    }

    static PolicyWeights weights(long version, int weight) {
        return new PolicyWeights("scaling", version, new byte[] {(byte) weight});
    }

    @Override
    public String modelId() {
        return "scaling";
    }

    @Override
    public Evaluation evaluate(ObservationBatch observations) {
        float w = weight;
        CountDownLatch held = hold; // read before entered opens: a test may close a new hold for the next pass then
        entered.countDown();
        try {
            if (!held.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test policy held for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int n = observations.rows();
        float[] x = observations.floats(0);
        float[] logits = new float[2 * n];
        float[] values = new float[n];
        for (int r = 0; r < n; r++) {
            logits[2 * r] = x[r] * w;
            logits[2 * r + 1] = -x[r] * w;
            values[r] = w;
        }
        if (weight != w) {
            throw new IllegalStateException("weights changed during a forward pass");
        }
        passes.add(new Pass(n, w));
        return new Evaluation(logits, values, 2);
    }

    @Override
    public void load(PolicyWeights weights) {
        if (!"scaling".equals(weights.modelId())) {
            throw new IllegalArgumentException("weights of model " + weights.modelId() + " refused");
        }
        weight = weights.bytes()[0];
    }

    @Override
    public void close() {
    }
}
