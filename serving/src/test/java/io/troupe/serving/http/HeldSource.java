package io.troupe.serving.http;

import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.serving.model.PolicySource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A two-action test policy over a 4-number observation whose forward passes wait while {@link #hold} is closed: the
 * way to fill a batcher's queue on purpose. Action 0 when the first number is >= 0, else 1; value = the version.
 */
final class HeldSource implements PolicySource {
    static final EnvSpec SPEC = EnvSpec.of("Held-v0", Box.uniform(-10, 10, DType.FLOAT32, 4), new Discrete(2));

    volatile CountDownLatch hold = new CountDownLatch(0);
    volatile CountDownLatch entered = new CountDownLatch(1);

    @Override
    public String backend() {
        return "test";
    }

    @Override
    public String location() {
        return "memory";
    }

    @Override
    public EnvSpec spec() {
        return SPEC;
    }

    @Override
    public String modelKind() {
        return "mlp";
    }

    @Override
    public String modelId() {
        return "held";
    }

    @Override
    public long parameters() {
        return 1;
    }

    @Override
    public long version() {
        return 1;
    }

    @Override
    public Policy newReplica() {
        return new Policy() {
            private float version = 1;

            @Override
            public String modelId() {
                return "held";
            }

            @Override
            public Evaluation evaluate(ObservationBatch observations) {
                entered.countDown();
                try {
                    if (!hold.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("held for 60 s");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                int n = observations.rows();
                float[] logits = new float[2 * n];
                float[] values = new float[n];
                for (int r = 0; r < n; r++) {
                    float x = observations.floats(0)[4 * r];
                    logits[2 * r] = x >= 0 ? 1 : 0;
                    logits[2 * r + 1] = x >= 0 ? 0 : 1;
                    values[r] = version;
                }
                return new Evaluation(logits, values, 2);
            }

            @Override
            public void load(PolicyWeights weights) {
                if (!weights.modelId().equals("held")) {
                    throw new IllegalArgumentException("weights of " + weights.modelId() + " refused");
                }
                version = weights.version();
            }

            @Override
            public void close() {
            }
        };
    }
}
