package io.troupe.core.http;

import java.util.Locale;

/**
 * Prometheus' text exposition format (version 0.0.4), as both HTTP ports write it (the admin API's
 * {@code /troupe/metrics}, the policy service's {@code /metrics}): numbers ({@code NaN}, {@code +Inf}, {@code -Inf};
 * integers without a fraction), escaped label values, metric names from free-form keys, {@code # TYPE} lines.
 */
public final class PrometheusFormat {
    private PrometheusFormat() {
    }

    /** {@code v} as the format writes a sample value. */
    public static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** {@code value} escaped for a label: backslash, double quote and newline. */
    public static String label(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A metric name from a free-form key: lower case, every character outside {@code [a-z0-9_]} an underscore. */
    public static String name(String key) {
        return key.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    /** Appends {@code # TYPE name type}. */
    public static void type(StringBuilder b, String name, String type) {
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** Appends one sample: {@code name{labels} value}; {@code labels} is empty or {@code {k="v",...}}. */
    public static void sample(StringBuilder b, String name, String labels, double value) {
        b.append(name).append(labels).append(' ').append(number(value)).append('\n');
    }

    /** Appends a gauge with one sample: its {@code # TYPE} line, then the sample. */
    public static void gauge(StringBuilder b, String name, String labels, double value) {
        type(b, name, "gauge");
        sample(b, name, labels, value);
    }
}
