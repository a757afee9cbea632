package io.troupe.replay.bench;

import io.troupe.core.DType;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Box;
import java.util.SplittableRandom;

/** CartPole-sized items for the benchmarks: 4 float32 observation values, 2 actions. */
public final class BenchItems {
    private static final Box OBS = Box.uniform(-5, 5, DType.FLOAT32, 4);

    private BenchItems() {
    }

    /** A CartPole unroll of {@code length} steps with behaviour logits, log-probs and values. */
    public static Unroll unroll(String producer, long seq, int length) {
        SplittableRandom rng = new SplittableRandom(seq);
        ObservationBatch obs = ObservationBatch.forSpace(OBS, length + 1);
        float[] f = obs.floats(0);
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) rng.nextGaussian();
        }
        int[] actions = new int[length];
        float[] rewards = new float[length];
        float[] logits = new float[2 * length];
        float[] logp = new float[length];
        float[] values = new float[length];
        for (int t = 0; t < length; t++) {
            actions[t] = rng.nextInt(2);
            rewards[t] = 1f;
            logits[2 * t] = (float) rng.nextGaussian();
            logits[2 * t + 1] = (float) rng.nextGaussian();
            logp[t] = (float) -rng.nextDouble();
            values[t] = (float) rng.nextGaussian();
        }
        return new Unroll(producer, seq, obs, actions, new float[0], rewards, new boolean[length],
                new boolean[length], logits, logp, values, 0, 0);
    }
}
