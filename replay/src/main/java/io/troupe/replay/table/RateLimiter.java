package io.troupe.replay.table;

/**
 * Reverb's rate limiter: keeps the ratio of samples to inserts near {@code samplesPerInsert}. With
 * {@code diff = inserts * samplesPerInsert - samples}, an insert may proceed while the table holds no more than
 * {@code minSizeToSample} items or while {@code diff} stays at most {@code maxDiff}; a sample may proceed once the
 * table holds {@code minSizeToSample} items and {@code diff} stays at least {@code minDiff}. Build one with
 * {@link RateLimiters}. One limiter belongs to one table; single-threaded.
 */
public final class RateLimiter {
    private final String kind;
    private final double samplesPerInsert;
    private final long minSizeToSample;
    private final double minDiff;
    private final double maxDiff;
    private long inserts;
    private long samples;

    RateLimiter(String kind, double samplesPerInsert, long minSizeToSample, double minDiff, double maxDiff) {
        if (!(samplesPerInsert > 0) || Double.isInfinite(samplesPerInsert)) {
            throw new IllegalArgumentException(kind + ": samplesPerInsert must be a positive number, got "
                    + samplesPerInsert);
        }
        if (minSizeToSample < 1) {
            throw new IllegalArgumentException(kind + ": minSizeToSample must be >= 1, got " + minSizeToSample);
        }
        if (!(minDiff <= maxDiff)) {
            throw new IllegalArgumentException(kind + ": minDiff " + minDiff + " must not exceed maxDiff " + maxDiff);
        }
        this.kind = kind;
        this.samplesPerInsert = samplesPerInsert;
        this.minSizeToSample = minSizeToSample;
        this.minDiff = minDiff;
        this.maxDiff = maxDiff;
    }

    /** Whether {@code n} items may be inserted into a table that holds {@code size} items. */
    public boolean canInsert(int n, long size) {
        if (size + n <= minSizeToSample) {
            return true;
        }
        return (inserts + n) * samplesPerInsert - samples <= maxDiff;
    }

    /** Whether {@code n} items may be sampled from a table that holds {@code size} items. */
    public boolean canSample(int n, long size) {
        if (size < minSizeToSample) {
            return false;
        }
        return inserts * samplesPerInsert - samples - n >= minDiff;
    }

    void inserted(int n) {
        inserts += n;
    }

    void sampled(int n) {
        samples += n;
    }

    /** Restores the counters (from a snapshot). */
    void restore(long inserts, long samples) {
        this.inserts = inserts;
        this.samples = samples;
    }

    public long inserts() {
        return inserts;
    }

    public long samples() {
        return samples;
    }

    public double samplesPerInsert() {
        return samplesPerInsert;
    }

    public long minSizeToSample() {
        return minSizeToSample;
    }

    public double minDiff() {
        return minDiff;
    }

    public double maxDiff() {
        return maxDiff;
    }

    /** {@code inserts * samplesPerInsert - samples}. */
    public double diff() {
        return inserts * samplesPerInsert - samples;
    }

    /** One line: kind, parameters and counters. */
    public String describe() {
        return kind + "(samplesPerInsert=" + samplesPerInsert + ", minSizeToSample=" + minSizeToSample + ", diff="
                + diff() + " in [" + minDiff + ", " + maxDiff + "], inserts=" + inserts + ", samples=" + samples + ")";
    }

    public String kind() {
        return kind;
    }
}
