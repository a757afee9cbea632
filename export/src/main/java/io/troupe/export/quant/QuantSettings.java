package io.troupe.export.quant;

/**
 * How {@link Int8Quantizer} quantizes.
 *
 * @param calibration        how activation ranges are chosen
 * @param percentile         the upper percentile of {@link Calibration#PERCENTILE} (99.99: the lower is 0.01)
 * @param weightScales       weights: one scale per output channel, one per tensor, or per tensor wherever that moves
 *                           the outputs no more than per channel ({@link WeightScales#AUTO}); activations always have
 *                           one scale per tensor
 * @param minAgreement       the sensitivity pass keeps a layer out of int8 when quantizing it alone changes the greedy
 *                           action on more than {@code 1 - minAgreement} of the calibration observations
 * @param maxRelativeError   ... or when it moves the outputs (logits and value) by more than this RMS, relative to
 *                           their RMS
 */
public record QuantSettings(Calibration calibration, double percentile, WeightScales weightScales,
                            double minAgreement, double maxRelativeError) {
    /** Defaults: percentile 99.99, automatic weight scales, agreement >= 0.99 and relative error <= 0.05 per layer. */
    public static final double DEFAULT_PERCENTILE = 99.99;
    public static final double DEFAULT_MIN_AGREEMENT = 0.99;
    public static final double DEFAULT_MAX_RELATIVE_ERROR = 0.05;

    /** How many scales a weight gets. */
    public enum WeightScales {
        /** One per output channel. */
        PER_CHANNEL,
        /** One per weight tensor. */
        PER_TENSOR,
        /**
         * Per output channel, except where one scale for the whole tensor moves the outputs no more (the sensitivity
         * pass runs the layer alone both ways): per-channel scales cost 4 bytes a channel, a tenth of a small MLP.
         */
        AUTO
    }

    public QuantSettings {
        if (calibration == null) {
            throw new IllegalArgumentException("calibration method is missing; expected minmax, percentile or "
                    + "entropy");
        }
        if (weightScales == null) {
            throw new IllegalArgumentException("weight scales are missing; expected per-channel, per-tensor or auto");
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

    /** Weights per output channel ({@code perChannel}) or per tensor, as given. */
    public QuantSettings(Calibration calibration, double percentile, boolean perChannel, double minAgreement,
                         double maxRelativeError) {
        this(calibration, percentile, perChannel ? WeightScales.PER_CHANNEL : WeightScales.PER_TENSOR, minAgreement,
                maxRelativeError);
    }

    /** {@code calibration} with every other setting at its default. */
    public static QuantSettings of(Calibration calibration, WeightScales weightScales) {
        return new QuantSettings(calibration, DEFAULT_PERCENTILE, weightScales, DEFAULT_MIN_AGREEMENT,
                DEFAULT_MAX_RELATIVE_ERROR);
    }

    /** {@code calibration} with weights per output channel ({@code perChannel}) or per tensor, other defaults. */
    public static QuantSettings of(Calibration calibration, boolean perChannel) {
        return of(calibration, perChannel ? WeightScales.PER_CHANNEL : WeightScales.PER_TENSOR);
    }
}
