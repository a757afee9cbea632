package io.troupe.cluster.compress;

import com.typesafe.config.Config;
import io.troupe.cluster.run.Evaluation;
import io.troupe.core.Categorical;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.environments.EnvRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * An original and a compressed {@link Policy} (DJL, ONNX float or ONNX int8 alike) on the same env: each one's
 * greedy episodes, and, on every observation of the original's episodes, whether the compressed policy picks the same
 * greedy action and the KL divergence of its action distribution from the original's.
 */
public final class PolicyComparison {
    /** Env copies stepped together. */
    public static final int ENVS = 16;

    /**
     * The comparison's outcome.
     *
     * @param original        the original's episodes
     * @param compressed      the compressed policy's episodes (same seed)
     * @param greedyAgreement fraction of the original's steps with the same greedy action
     * @param meanKl          mean KL(original || compressed) over those steps
     * @param steps           the steps compared (observations, one per env copy per step)
     */
    public record Result(List<Evaluation.Episode> original, List<Evaluation.Episode> compressed,
                         double greedyAgreement, double meanKl, long steps) {
    }

    private PolicyComparison() {
    }

    /** Runs both policies greedily for {@code episodes} episodes each from {@code seed}. */
    public static Result compare(EnvRegistry registry, String envId, Config overrides, Policy original,
                                 Policy compressed, int episodes, long seed) {
        if (episodes < 1) {
            throw new IllegalArgumentException("evaluation episodes must be >= 1, got " + episodes);
        }
        long[] agree = new long[1];
        long[] steps = new long[1];
        double[] kl = new double[1];
        int envs = Math.min(ENVS, episodes);
        List<Evaluation.Episode> a = Evaluation.episodes(registry, envId, overrides, original, episodes, envs, seed,
                (batch, eval) -> {
                    Policy.Evaluation other = compressed.evaluate(batch);
                    int n = eval.actions();
                    for (int r = 0; r < batch.rows(); r++) {
                        if (Categorical.argmax(eval.logits(), r * n, n) == Categorical.argmax(other.logits(), r * n,
                                n)) {
                            agree[0]++;
                        }
                        kl[0] += kl(eval.logits(), other.logits(), r * n, n);
                        steps[0]++;
                    }
                });
        List<Evaluation.Episode> b = Evaluation.episodes(registry, envId, overrides, compressed, episodes, envs, seed,
                null);
        return new Result(a, b, (double) agree[0] / steps[0], kl[0] / steps[0], steps[0]);
    }

    /** KL(softmax(p) || softmax(q)) of the logits {@code [from, from + n)}. */
    public static double kl(float[] p, float[] q, int from, int n) {
        double lp = logSumExp(p, from, n);
        double lq = logSumExp(q, from, n);
        double sum = 0;
        for (int i = from; i < from + n; i++) {
            double logP = p[i] - lp;
            sum += Math.exp(logP) * (logP - (q[i] - lq));
        }
        return Math.max(0, sum);
    }

    private static double logSumExp(float[] x, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, x[i]);
        }
        double s = 0;
        for (int i = from; i < from + n; i++) {
            s += Math.exp(x[i] - max);
        }
        return max + Math.log(s);
    }

    /** Mean return (normal 95% interval) of {@code episodes}. */
    public static Estimate meanReturn(List<Evaluation.Episode> episodes) {
        List<Double> returns = new ArrayList<>();
        for (Evaluation.Episode e : episodes) {
            returns.add(e.episodeReturn());
        }
        return Estimate.ofMean(returns);
    }

    /** Success rate (Wilson 95% interval) of {@code episodes}. */
    public static Estimate successRate(List<Evaluation.Episode> episodes) {
        int s = 0;
        for (Evaluation.Episode e : episodes) {
            s += e.success() ? 1 : 0;
        }
        return Estimate.ofRate(s, episodes.size());
    }

    /** Median microseconds of one {@code evaluate} call, after a warm-up of a quarter of {@code seconds}. */
    public static double medianLatencyMicros(Policy policy, ObservationBatch batch, double seconds) {
        long warmEnd = System.nanoTime() + (long) (seconds * 0.25e9);
        while (System.nanoTime() < warmEnd) {
            policy.evaluate(batch);
        }
        List<Long> times = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end || times.size() < 5) {
            long t0 = System.nanoTime();
            policy.evaluate(batch);
            times.add(System.nanoTime() - t0);
        }
        long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[sorted.length / 2] / 1000.0;
    }

    /**
     * Median microseconds of one {@code evaluate} call of {@code original} and of {@code compressed}, {original,
     * compressed}, measured alternately (one call of each in turn, after a warm-up of both of a quarter of
     * {@code seconds}), so that a change of load on a shared machine hits both alike: measured one after the other
     * for {@code seconds} each, the large transformer's int8/float ratio at batch 16 read 1.19x in a run where
     * alternating calls read about 1.6x.
     */
    public static double[] medianLatenciesMicros(Policy original, Policy compressed, ObservationBatch batch,
                                                 double seconds) {
        long warmEnd = System.nanoTime() + (long) (seconds * 0.25e9);
        while (System.nanoTime() < warmEnd) {
            original.evaluate(batch);
            compressed.evaluate(batch);
        }
        List<Long> a = new ArrayList<>();
        List<Long> b = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 2e9);
        while (System.nanoTime() < end || a.size() < 5) {
            long t0 = System.nanoTime();
            original.evaluate(batch);
            long t1 = System.nanoTime();
            compressed.evaluate(batch);
            b.add(System.nanoTime() - t1);
            a.add(t1 - t0);
        }
        return new double[] {median(a) / 1000.0, median(b) / 1000.0};
    }

    private static long median(List<Long> times) {
        long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    /** The first {@code rows} rows of {@code observations} (cycled if there are fewer) as one batch. */
    public static ObservationBatch firstRows(List<ObservationBatch> observations, int rows) {
        if (observations.isEmpty()) {
            throw new IllegalArgumentException("no observations to build a batch of " + rows + " from");
        }
        ObservationBatch out = ObservationBatch.zeros(rows, observations.get(0).modalities());
        int r = 0;
        while (r < rows) {
            for (ObservationBatch b : observations) {
                for (int i = 0; i < b.rows() && r < rows; i++) {
                    b.copyRow(i, out, r++);
                }
            }
        }
        return out;
    }
}
