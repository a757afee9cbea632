package io.troupe.serving.drift;

/**
 * The Page-Hinkley test for a drop of the mean below a known reference: m_t = sum of (reference - x_i - delta),
 * alarm when m_t rises more than {@code lambda} above its smallest value so far. Returns a little below the reference
 * (by less than {@code delta} on average) never add up; a sustained drop does. Not thread-safe.
 */
public final class PageHinkley {
    private final double reference;
    private final double delta;
    private final double lambda;
    private double sum;
    private double min;
    private long count;
    private boolean alarm;

    /**
     * @param reference the expected mean (the evaluation return)
     * @param delta     the drop tolerated per observation
     * @param lambda    the accumulated drop that raises the alarm (greater than 0)
     */
    public PageHinkley(double reference, double delta, double lambda) {
        if (!(lambda > 0) || !(delta >= 0)) {
            throw new IllegalArgumentException("Page-Hinkley needs lambda > 0 and delta >= 0, got " + lambda + ", "
                    + delta);
        }
        this.reference = reference;
        this.delta = delta;
        this.lambda = lambda;
    }

    /** Adds one observation; returns whether the alarm is raised (it stays raised). */
    public boolean add(double x) {
        count++;
        sum += reference - x - delta;
        min = Math.min(min, sum);
        alarm |= sum - min > lambda;
        return alarm;
    }

    public boolean alarm() {
        return alarm;
    }

    /** How far the accumulated drop is above its minimum (the alarm fires above lambda). */
    public double statistic() {
        return sum - min;
    }

    public long count() {
        return count;
    }
}
