package io.troupe.export.quant;

import java.util.Locale;

/** How an activation's int8 range is chosen from the values the calibration set produced. */
public enum Calibration {
    /** The observed minimum and maximum: nothing clips, outliers stretch the step. */
    MINMAX,
    /** The 0.01st and 99.99th percentiles ({@link QuantSettings#percentile}): the rarest values clip. */
    PERCENTILE,
    /**
     * TensorRT's entropy calibration: the threshold on |x| whose 128-level quantized histogram has the least KL
     * divergence from the observed 2048-bin histogram.
     */
    ENTROPY;

    /** The lower-case name the command line takes. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code minmax}, {@code percentile} or {@code entropy}, in any case; anything else names the methods. */
    public static Calibration parse(String value) {
        for (Calibration c : values()) {
            if (c.label().equals(value.strip().toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException("calibration '" + value + "' is not a method; expected minmax, "
                + "percentile or entropy");
    }
}
