package io.troupe.export.quant;

/**
 * The values one activation tensor took on the calibration set, reduced to the range its int8 scale covers. Two
 * passes: the first sees every value for the minimum and maximum; the second (only for percentile and entropy) fills
 * a histogram of the values over [min, max] and one of |x| over [0, max |x|]. Pure arithmetic, single-threaded.
 */
final class RangeObserver {
    /** Bins of the histogram of |x| (TensorRT's entropy calibration uses 2048). */
    static final int ABS_BINS = 2048;
    /** Bins of the signed histogram the percentiles are read from. */
    static final int SIGNED_BINS = 16384;
    /** Levels of a quantized half range: TensorRT's 128. */
    static final int LEVELS = 128;

    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long count;
    private long[] signed;
    private long[] abs;

    /** First pass: the values' extremes. */
    void observeRange(float[] values) {
        for (float v : values) {
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        count += values.length;
    }

    boolean needsHistogram(Calibration method) {
        return method != Calibration.MINMAX;
    }

    /** Second pass: the histograms (after every {@link #observeRange}). */
    void observeHistogram(float[] values) {
        if (signed == null) {
            signed = new long[SIGNED_BINS];
            abs = new long[ABS_BINS];
        }
        double width = max - min;
        double amax = Math.max(Math.abs(min), Math.abs(max));
        for (float v : values) {
            int s = width <= 0 ? 0 : (int) Math.min(SIGNED_BINS - 1, (v - min) / width * SIGNED_BINS);
            signed[s]++;
            int a = amax <= 0 ? 0 : (int) Math.min(ABS_BINS - 1, Math.abs(v) / amax * ABS_BINS);
            abs[a]++;
        }
    }

    /** The range {@code [low, high]} the method chooses; it always contains 0 (zero is exact in int8). */
    double[] range(Calibration method, double percentile) {
        if (count == 0) {
            throw new IllegalStateException("no calibration values were observed");
        }
        double lo = min;
        double hi = max;
        switch (method) {
            case MINMAX -> { }
            case PERCENTILE -> {
                double tail = (100 - percentile) / 100;
                lo = signedQuantile(tail);
                hi = signedQuantile(1 - tail);
            }
            case ENTROPY -> {
                double t = entropyThreshold(abs, Math.max(Math.abs(min), Math.abs(max)));
                lo = Math.max(min, -t);
                hi = Math.min(max, t);
            }
            default -> throw new IllegalStateException("unknown calibration " + method);
        }
        return new double[] {Math.min(lo, 0), Math.max(hi, 0)};
    }

    private double signedQuantile(double q) {
        long target = (long) Math.ceil(q * count);
        long seen = 0;
        double width = (max - min) / SIGNED_BINS;
        for (int i = 0; i < SIGNED_BINS; i++) {
            seen += signed[i];
            if (seen >= target) {
                return q < 0.5 ? min + i * width : min + (i + 1) * width;
            }
        }
        return max;
    }

    /**
     * TensorRT's entropy calibration: for each candidate threshold bin i in [128, 2048], the reference distribution
     * is the histogram up to i with everything beyond folded into bin i - 1, the candidate is that histogram merged
     * into 128 levels and spread back over the nonzero bins of each level; the threshold with the least
     * KL(reference || candidate) wins. Returns the threshold on |x|.
     */
    static double entropyThreshold(long[] hist, double amax) {
        int bins = hist.length;
        if (amax <= 0) {
            return 0;
        }
        double binWidth = amax / bins;
        double bestKl = Double.POSITIVE_INFINITY;
        int best = bins;
        for (int i = LEVELS; i <= bins; i++) {
            double[] ref = new double[i];
            for (int k = 0; k < i; k++) {
                ref[k] = hist[k];
            }
            long outliers = 0;
            for (int k = i; k < bins; k++) {
                outliers += hist[k];
            }
            ref[i - 1] += outliers;
            double[] cand = new double[i];
            for (int level = 0; level < LEVELS; level++) {
                int from = (int) ((long) level * i / LEVELS);
                int to = (int) ((long) (level + 1) * i / LEVELS);
                double sum = 0;
                int nonzero = 0;
                for (int k = from; k < to; k++) {
                    sum += hist[k];
                    if (hist[k] != 0) {
                        nonzero++;
                    }
                }
                for (int k = from; k < to; k++) {
                    cand[k] = hist[k] == 0 ? 0 : sum / nonzero;
                }
            }
            double kl = kl(ref, cand);
            if (kl < bestKl) {
                bestKl = kl;
                best = i;
            }
        }
        return (best + 0.5) * binWidth;
    }

    private static double kl(double[] p, double[] q) {
        double sp = 0;
        double sq = 0;
        for (int k = 0; k < p.length; k++) {
            sp += p[k];
            sq += q[k];
        }
        if (sp == 0 || sq == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double kl = 0;
        for (int k = 0; k < p.length; k++) {
            if (p[k] == 0) {
                continue;
            }
            double pk = p[k] / sp;
            // a bin the candidate left empty but the reference has (the folded outliers): a small floor, as TensorRT
            double qk = q[k] == 0 ? 1e-4 / sq : q[k] / sq;
            kl += pk * Math.log(pk / qk);
        }
        return kl;
    }
}
