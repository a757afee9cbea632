package io.troupe.export.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The three calibration methods on values with a known shape: a Gaussian bulk and one far outlier. */
class RangeObserverTest {
    private static RangeObserver observed(Calibration method) {
        Random rng = new Random(1);
        float[] v = new float[200_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        v[0] = 50f; // one outlier
        RangeObserver o = new RangeObserver();
        o.observeRange(v);
        if (method != Calibration.MINMAX) {
            o.observeHistogram(v);
        }
        return o;
    }

    @Test
    void minmaxKeepsTheOutlier() {
        double[] r = observed(Calibration.MINMAX).range(Calibration.MINMAX, 99.99);
        assertEquals(50.0, r[1], 1e-6);
        assertTrue(r[0] < -3.5 && r[0] > -6, "min of 200k standard normals: " + r[0]);
    }

    @Test
    void percentileClipsTheOutlierAtTheNormalsQuantile() {
        double[] r = observed(Calibration.PERCENTILE).range(Calibration.PERCENTILE, 99.99);
        // the 99.99th percentile of a standard normal is 3.72; the histogram's bins are 53 / 16384 wide
        assertEquals(3.72, r[1], 0.25);
        assertEquals(-3.72, r[0], 0.25);
    }

    @Test
    void entropyChoosesAThresholdFarBelowTheOutlier() {
        double[] r = observed(Calibration.ENTROPY).range(Calibration.ENTROPY, 99.99);
        assertTrue(r[1] > 2 && r[1] < 10, "entropy threshold of N(0,1) with one outlier at 50: " + r[1]);
        assertEquals(-r[1], Math.max(r[0], -r[1]), 1e-9);
    }

    @Test
    void activationScaleCoversTheRangeWithZeroExact() {
        var s = Int8Quantizer.activationScale(-1.0, 3.0);
        assertEquals(4.0 / 255, s.scale(), 1e-7);
        int zp = s.zeroPoint() & 0xFF;
        assertEquals(64, zp); // -lo / scale = 63.75
        var relu = Int8Quantizer.activationScale(0, 2.0);
        assertEquals(0, relu.zeroPoint() & 0xFF);
    }

    @Test
    void weightsAreSymmetricPerOutputChannel() {
        float[] w = {1f, -0.5f, 0.25f, 0.1f, -0.2f, 0.05f}; // 2 x 3, rows are output channels (axis 0)
        long[] dims = {2, 3};
        float[] s = Int8Quantizer.weightScales(w, dims, 0, true);
        assertEquals(1f / 127, s[0], 1e-9);
        assertEquals(0.2f / 127, s[1], 1e-9);
        byte[] q = Int8Quantizer.quantizeWeights(w, dims, 0, s);
        assertEquals(127, q[0]);
        assertEquals(-64, q[1]); // -63.5: half to even, as QuantizeLinear rounds
        assertEquals(-127, q[4]);
        float[] t = Int8Quantizer.weightScales(w, dims, 0, false);
        assertEquals(1, t.length);
        assertEquals(1f / 127, t[0], 1e-9);
    }
}
