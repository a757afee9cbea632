package io.troupe.replay.table;

/** The rate limiters Reverb offers, each rejecting a configuration that would deadlock. */
public final class RateLimiters {
    private RateLimiters() {
    }

    /** Sampling starts once the table holds {@code minSize} items; inserts are never blocked. */
    public static RateLimiter minSize(long minSize) {
        return new RateLimiter("MinSize", 1.0, minSize, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    /**
     * Keeps about {@code samplesPerInsert} samples per insert, once {@code minSizeToSample} items are in, within an
     * error buffer: {@code diff} must stay in {@code offset +- errorBuffer} with
     * {@code offset = samplesPerInsert * minSizeToSample}. Refused at construction when the window is narrower than
     * {@code 2 * max(1, samplesPerInsert)}: one insert moves {@code diff} up by {@code samplesPerInsert} and one sample
     * moves it down by 1, so a narrower window can leave a state from which neither may proceed.
     */
    public static RateLimiter sampleToInsertRatio(double samplesPerInsert, long minSizeToSample, double errorBuffer) {
        if (!(samplesPerInsert > 0)) {
            throw new IllegalArgumentException("SampleToInsertRatio: samplesPerInsert must be > 0, got "
                    + samplesPerInsert);
        }
        if (minSizeToSample < 1) {
            throw new IllegalArgumentException("SampleToInsertRatio: minSizeToSample must be >= 1, got "
                    + minSizeToSample);
        }
        double needed = 2 * Math.max(1.0, samplesPerInsert);
        if (!(2 * errorBuffer >= needed)) {
            throw new IllegalArgumentException("SampleToInsertRatio(samplesPerInsert=" + samplesPerInsert
                    + ", minSizeToSample=" + minSizeToSample + ", errorBuffer=" + errorBuffer + ") would deadlock: "
                    + "one insert raises the sample/insert difference by " + samplesPerInsert + " and one sample "
                    + "lowers it by 1, so the allowed window (2 * errorBuffer = " + 2 * errorBuffer + ") must be at "
                    + "least 2 * max(1, samplesPerInsert) = " + needed + "; use errorBuffer >= "
                    + Math.max(1.0, samplesPerInsert));
        }
        double offset = samplesPerInsert * minSizeToSample;
        return new RateLimiter("SampleToInsertRatio", samplesPerInsert, minSizeToSample, offset - errorBuffer,
                offset + errorBuffer);
    }

    /** Each item sampled exactly once, in order, with at most {@code size} items waiting: a PPO learner's queue. */
    public static RateLimiter queue(long size) {
        if (size < 1) {
            throw new IllegalArgumentException("Queue: size must be >= 1, got " + size);
        }
        return new RateLimiter("Queue", 1.0, 1, 0.0, size);
    }
}
