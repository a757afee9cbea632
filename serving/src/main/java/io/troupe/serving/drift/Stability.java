package io.troupe.serving.drift;

import java.util.Arrays;

/**
 * The two comparisons of a live window with its reference: the population stability index over shared bins, and the
 * two-sample Kolmogorov-Smirnov statistic with its asymptotic p-value. Pure functions.
 */
public final class Stability {
    /** The smallest share a bin counts with, so an empty bin does not make the index infinite. */
    static final double MIN_SHARE = 1e-4;

    private Stability() {
    }

    /** PSI = sum over bins of (actual - expected) * ln(actual / expected), shares floored at {@link #MIN_SHARE}. */
    public static double psi(double[] expected, double[] actual) {
        if (expected.length != actual.length) {
            throw new IllegalArgumentException("PSI needs the same bins: " + expected.length + " vs " + actual.length);
        }
        double sum = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = Math.max(expected[i], MIN_SHARE);
            double a = Math.max(actual[i], MIN_SHARE);
            sum += (a - e) * Math.log(a / e);
        }
        return sum;
    }

    /** Shares of {@code values} in the bins of {@code edges} (bin i holds edges[i-1] < v <= edges[i]). */
    public static double[] shares(double[] edges, double[] values, int count) {
        double[] out = new double[edges.length + 1];
        if (count == 0) {
            return out;
        }
        for (int i = 0; i < count; i++) {
            out[bin(edges, values[i])]++;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= count;
        }
        return out;
    }

    /** The bin of {@code v}: the number of edges below it. */
    static int bin(double[] edges, double v) {
        int i = Arrays.binarySearch(edges, v);
        return i >= 0 ? i : -i - 1;
    }

    /** Inner bin edges at the reference's deciles (duplicates dropped), so each bin holds about a tenth of it. */
    public static double[] decileEdges(double[] sortedReference) {
        double[] edges = new double[9];
        int n = 0;
        for (int q = 1; q <= 9; q++) {
            double e = sortedReference[Math.min(sortedReference.length - 1, q * sortedReference.length / 10)];
            if (n == 0 || e > edges[n - 1]) {
                edges[n++] = e;
            }
        }
        return Arrays.copyOf(edges, n);
    }

    /** The KS statistic: the largest distance between the two empirical distribution functions. */
    public static double ksStatistic(double[] sortedA, double[] sortedB) {
        int i = 0;
        int j = 0;
        double d = 0;
        while (i < sortedA.length && j < sortedB.length) {
            double v = Math.min(sortedA[i], sortedB[j]);
            while (i < sortedA.length && sortedA[i] <= v) {
                i++;
            }
            while (j < sortedB.length && sortedB[j] <= v) {
                j++;
            }
            d = Math.max(d, Math.abs((double) i / sortedA.length - (double) j / sortedB.length));
        }
        return d;
    }

    /** The asymptotic p-value of statistic {@code d} for samples of {@code n} and {@code m} (Kolmogorov's series). */
    public static double ksPValue(double d, int n, int m) {
        double en = Math.sqrt((double) n * m / (n + m));
        double lambda = (en + 0.12 + 0.11 / en) * d;
        if (lambda < 1e-3) {
            return 1;
        }
        double sum = 0;
        for (int k = 1; k <= 100; k++) {
            double term = 2 * ((k % 2 == 1) ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
            sum += term;
            if (Math.abs(term) < 1e-10) {
                break;
            }
        }
        return Math.max(0, Math.min(1, sum));
    }
}
