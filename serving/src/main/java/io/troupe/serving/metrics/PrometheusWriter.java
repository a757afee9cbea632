package io.troupe.serving.metrics;

/** Prometheus text exposition (0.0.4) helpers: numbers and label values as the format writes them. */
final class PrometheusWriter {
    private PrometheusWriter() {
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** {@code value} escaped for a label: backslash, double quote and newline. */
    static String label(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
