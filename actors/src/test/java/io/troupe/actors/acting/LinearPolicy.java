package io.troupe.actors.acting;

import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import java.util.ArrayList;
import java.util.List;

/**
 * A small real policy for CartPole's 4 floats: logits {@code (0, 10 * angle)}, value {@code 100 * position}; it keeps
 * a copy of every batch it evaluated.
 */
final class LinearPolicy implements Policy {
    final List<float[]> evaluated = new ArrayList<>();

    static float[] logits(float[] obs, int row) {
        return new float[] {0f, 10f * obs[row * 4 + 2]};
    }

    static float value(float[] obs, int row) {
        return 100f * obs[row * 4];
    }

    @Override
    public String modelId() {
        return "linear";
    }

    @Override
    public Evaluation evaluate(ObservationBatch observations) {
        float[] obs = observations.floats(0).clone();
        evaluated.add(obs);
        int rows = observations.rows();
        float[] logits = new float[rows * 2];
        float[] values = new float[rows];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(logits(obs, r), 0, logits, r * 2, 2);
            values[r] = value(obs, r);
        }
        return new Evaluation(logits, values, 2);
    }

    @Override
    public void load(PolicyWeights weights) {
        throw new IllegalArgumentException("weights " + weights.modelId() + " v" + weights.version()
                + ": the linear test policy is fixed and takes none");
    }

    @Override
    public void close() {
    }
}
