package io.troupe.core;

/** Returns, lengths and successes of the last {@code capacity} episodes, plus totals. Single-threaded. */
public final class EpisodeWindow {
    private final double[] returns;
    private final boolean[] successes;
    private int count;
    private int next;
    private long episodes;

    public EpisodeWindow(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("episode window capacity must be >= 1, got " + capacity);
        }
        this.returns = new double[capacity];
        this.successes = new boolean[capacity];
    }

    public void add(double episodeReturn, boolean success) {
        returns[next] = episodeReturn;
        successes[next] = success;
        next = (next + 1) % returns.length;
        count = Math.min(count + 1, returns.length);
        episodes++;
    }

    /** Episodes recorded since the start. */
    public long episodes() {
        return episodes;
    }

    /** Whether the window holds {@code capacity} episodes. */
    public boolean full() {
        return count == returns.length;
    }

    /** Mean return over the window; NaN when empty. */
    public double meanReturn() {
        if (count == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (int i = 0; i < count; i++) {
            s += returns[i];
        }
        return s / count;
    }

    /** Fraction of successful episodes over the window; NaN when empty. */
    public double successRate() {
        if (count == 0) {
            return Double.NaN;
        }
        int s = 0;
        for (int i = 0; i < count; i++) {
            s += successes[i] ? 1 : 0;
        }
        return (double) s / count;
    }
}
