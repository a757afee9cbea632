package io.troupe.export.quant;

/**
 * How {@link Int8Quantizer} quantizes.
 *
 * @param calibration        how activation ranges are chosen
 * @param percentile         the upper percentile of {@link Calibration#PERCENTILE} (99.99: the lower is 0.01)
 * @param perChannel         weights: one scale per output channel (true) or one per tensor (false); activations
 *                           always have one scale per tensor
 * @param minAgreement       the sensitivity pass keeps a layer in float when quantizing it alone changes the greedy
 *                           action on more than {@code 1 - minAgreement} of the calibration observations
 * @param maxRelativeError   ... or when it moves the outputs (logits and value) by more than this RMS, relative to
 *                           their RMS
 */
public record QuantSettings(Calibration calibration, double percentile, boolean perChannel, double minAgreement,
                            double maxRelativeError) {
    /** Defaults: percentile 99.99, per-channel weights, agreement >= 0.99 and relative error <= 0.05 per layer. */
    public static final double DEFAULT_PERCENTILE = 99.99;
    public static final double DEFAULT_MIN_AGREEMENT = 0.99;
    public static final double DEFAULT_MAX_RELATIVE_ERROR = 0.05;

    public QuantSettings {
        if (calibration == null) {
            throw new IllegalArgumentException("calibration method is missing; expected minmax, percentile or "
                    + "entropy");
        }
        if (!(percentile > 50 && percentile <= 100)) {
            throw new IllegalArgumentException("calibration percentile must be in (50, 100], got " + percentile);
        }
        if (!(minAgreement >= 0 && minAgreement <= 1)) {
            throw new IllegalArgumentException("minimum greedy agreement must be in [0, 1], got " + minAgreement);
        }
        if (!(maxRelativeError > 0)) {
            throw new IllegalArgumentException("maximum relative error must be > 0, got " + maxRelativeError);
        }
    }

    /** {@code calibration} with every other setting at its default. */
    public static QuantSettings of(Calibration calibration, boolean perChannel) {
        return new QuantSettings(calibration, DEFAULT_PERCENTILE, perChannel, DEFAULT_MIN_AGREEMENT,
                DEFAULT_MAX_RELATIVE_ERROR);
    }
}
