package io.troupe.cluster.compress;

import java.util.List;

/**
 * A mean over {@code n} samples with its 95% confidence interval {@code [low, high]}.
 *
 * <p>Returns: the normal interval {@code mean +- 1.96 s / sqrt(n)} with the sample standard deviation {@code s}
 * (n - 1 in the denominator; at n >= 200 Student's t is 1.97, the same to the second digit). Success rates: the Wilson
 * score interval, which stays inside [0, 1] and is not empty at a rate of 0 or 1 (where the normal one is).
 */
public record Estimate(double mean, double low, double high, int n) {
    /** The 97.5% quantile of the standard normal. */
    public static final double Z95 = 1.959963984540054;

    public Estimate {
        if (n < 1) {
            throw new IllegalArgumentException("an estimate needs at least one sample, got " + n);
        }
    }

    /** The mean of {@code samples} and its normal 95% interval. */
    public static Estimate ofMean(List<Double> samples) {
        int n = samples.size();
        if (n == 0) {
            throw new IllegalArgumentException("an estimate needs at least one sample, got none");
        }
        double mean = 0;
        for (double v : samples) {
            mean += v;
        }
        mean /= n;
        if (n == 1) {
            return new Estimate(mean, mean, mean, 1);
        }
        double ss = 0;
        for (double v : samples) {
            ss += (v - mean) * (v - mean);
        }
        double half = Z95 * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
        return new Estimate(mean, mean - half, mean + half, n);
    }

    /** The rate {@code successes / n} and its Wilson score 95% interval. */
    public static Estimate ofRate(int successes, int n) {
        if (n < 1 || successes < 0 || successes > n) {
            throw new IllegalArgumentException("a rate needs 0 <= successes <= n and n >= 1, got " + successes
                    + " of " + n);
        }
        double p = (double) successes / n;
        double z2 = Z95 * Z95;
        double centre = (p + z2 / (2.0 * n)) / (1 + z2 / n);
        double half = Z95 / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new Estimate(p, Math.max(0, centre - half), Math.min(1, centre + half), n);
    }

    /** Half the interval's width. */
    public double halfWidth() {
        return (high - low) / 2;
    }
}
