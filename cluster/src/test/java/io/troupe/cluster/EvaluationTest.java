package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.run.Evaluation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Greedy and sampled evaluation of one real policy on GoToObject-v0's real episodes. */
class EvaluationTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();

    /** Logits (2, 0, 0, 0) for every observation: "move right" is the most likely action, with probability 0.71. */
    private static final class PreferRight implements Policy {
        @Override
        public String modelId() {
            return "prefer-right";
        }

        @Override
        public Evaluation evaluate(ObservationBatch observations) {
            int rows = observations.rows();
            float[] logits = new float[rows * 4];
            for (int r = 0; r < rows; r++) {
                logits[r * 4] = 2f;
            }
            return new Evaluation(logits, new float[rows], 4);
        }

        @Override
        public void load(PolicyWeights weights) {
            throw new IllegalArgumentException("the prefer-right test policy is fixed and takes no weights");
        }

        @Override
        public void close() {
        }
    }

    private static Evaluation.Result run(Evaluation.Mode mode, long seed) {
        return Evaluation.run(REGISTRY, "GoToObject-v0", ConfigFactory.empty(), new PreferRight(), 200, 16, seed,
                mode);
    }

    @Test
    void greedyRepeatsTheLikeliestActionWhereSamplingDrawsFromTheSoftmax() {
        Evaluation.Result greedy = run(Evaluation.Mode.GREEDY, 7);
        Evaluation.Result sampled = run(Evaluation.Mode.SAMPLED, 7);
        assertEquals(200, greedy.episodes());
        assertEquals(200, sampled.episodes());
        // always moving right reaches the target only when it lies to the right in the agent's row, unblocked; every
        // other episode runs into the wall and stays there until the 40-step limit
        assertTrue(greedy.successRate() < 0.25, "greedy " + greedy);
        double s = greedy.successRate();
        double failedLength = s == 0 ? greedy.meanLength()
                : (greedy.meanLength() - s * meanSuccessLength(greedy)) / (1 - s);
        assertEquals(40, failedLength, 1e-6, "every failed greedy episode is truncated: " + greedy);
        assertTrue(sampled.successRate() > greedy.successRate() + 0.2, "sampled " + sampled + ", greedy " + greedy);
        // the plain run is the greedy one
        assertEquals(greedy, Evaluation.run(REGISTRY, "GoToObject-v0", ConfigFactory.empty(), new PreferRight(), 200,
                16, 7));
    }

    /** The mean length of the successful episodes, solved from the mean return: reward = 1 - 0.9 * t / 40. */
    private static double meanSuccessLength(Evaluation.Result r) {
        double meanRewardOfSuccesses = r.meanReturn() / r.successRate();
        return (1 - meanRewardOfSuccesses) * 40 / 0.9;
    }

    /**
     * 24 episodes over 16 copies: copies 0-7 count their first two episodes, copies 8-15 their first one, whatever their
     * length. Counting episodes in the order they ended instead took the quick successes' second episodes in place of
     * the first episodes still walking into the wall, and overstated the success rate; the layouts here make sure the
     * two differ.
     */
    @Test
    void everyCopysFirstEpisodesCountWhateverTheirLength() {
        long seed = 7;
        int copies = 16;
        List<List<double[]>> perCopy = new ArrayList<>();
        List<double[]> inOrderOfEnding = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            perCopy.add(new ArrayList<>());
        }
        try (VectorEnv vec = VectorEnv.of(() -> REGISTRY.make("GoToObject-v0"), copies)) {
            vec.setEpisodeListener((i, ret, len, term, success) -> {
                double[] episode = {success ? 1 : 0, len};
                perCopy.get(i).add(episode);
                inOrderOfEnding.add(episode);
            });
            vec.reset(seed);
            int[] right = new int[copies]; // PreferRight's greedy action, 0, everywhere
            for (int t = 0; t < 200; t++) {
                vec.step(right);
            }
        }
        double successes = 0;
        double length = 0;
        for (int i = 0; i < copies; i++) {
            for (double[] e : perCopy.get(i).subList(0, i < 8 ? 2 : 1)) {
                successes += e[0];
                length += e[1];
            }
        }
        double firstToEnd = inOrderOfEnding.subList(0, 24).stream().mapToDouble(e -> e[0]).sum();
        assertNotEquals(successes, firstToEnd, "the layouts tell the two ways of counting apart");
        Evaluation.Result r = Evaluation.run(REGISTRY, "GoToObject-v0", ConfigFactory.empty(), new PreferRight(),
                24, copies, seed, Evaluation.Mode.GREEDY);
        assertEquals(successes / 24, r.successRate(), 1e-12, r.toString());
        assertEquals(length / 24, r.meanLength(), 1e-12, r.toString());
    }

    @Test
    void sampledEpisodesRepeatWithTheSeedAndChangeWithAnother() {
        Evaluation.Result a = run(Evaluation.Mode.SAMPLED, 11);
        assertEquals(a, run(Evaluation.Mode.SAMPLED, 11));
        assertNotEquals(a, run(Evaluation.Mode.SAMPLED, 12));
    }
}
