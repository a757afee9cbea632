package io.troupe.serving.metrics;

import io.troupe.core.http.PrometheusFormat;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram with fixed upper bounds: counts per bucket, the sum and the count. Thread-safe. */
public final class Histogram {
    private final double[] bounds;
    private final LongAdder[] counts;
    private final LongAdder total = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    public Histogram(double... bounds) {
        this.bounds = bounds.clone();
        this.counts = new LongAdder[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void observe(double value) {
        for (int i = 0; i < bounds.length; i++) {
            if (value <= bounds[i]) {
                counts[i].increment();
                break;
            }
        }
        total.increment();
        sum.add(value);
    }

    public long count() {
        return total.sum();
    }

    public double sum() {
        return sum.sum();
    }

    /** Appends the {@code _bucket}, {@code _sum} and {@code _count} lines; {@code labels}: {@code a="b",} or empty. */
    void render(StringBuilder b, String name, String labels) {
        long cumulative = 0;
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i].sum();
            b.append(name).append("_bucket{").append(labels).append("le=\"").append(PrometheusFormat.number(bounds[i]))
                    .append("\"} ").append(cumulative).append('\n');
        }
        b.append(name).append("_bucket{").append(labels).append("le=\"+Inf\"} ").append(total.sum()).append('\n');
        String plain = labels.isEmpty() ? "" : "{" + labels.substring(0, labels.length() - 1) + "}";
        b.append(name).append("_sum").append(plain).append(' ').append(PrometheusFormat.number(sum.sum())).append('\n');
        b.append(name).append("_count").append(plain).append(' ').append(total.sum()).append('\n');
    }
}
