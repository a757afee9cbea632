package io.troupe.cluster.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's 95% intervals, against values worked out by hand, and the KL it reports. */
class EstimateTest {
    @Test
    void meanIntervalIsNormalWithTheSampleStandardDeviation() {
        // 1..10: mean 5.5, sample sd sqrt(82.5 / 9) = 3.0277, half width 1.96 * 3.0277 / sqrt(10) = 1.8766
        List<Double> xs = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            xs.add((double) i);
        }
        Estimate e = Estimate.ofMean(xs);
        assertEquals(5.5, e.mean(), 1e-12);
        assertEquals(5.5 - 1.876523, e.low(), 1e-5);
        assertEquals(5.5 + 1.876523, e.high(), 1e-5);
        assertEquals(10, e.n());
        Estimate constant = Estimate.ofMean(List.of(500.0, 500.0, 500.0));
        assertEquals(0, constant.halfWidth(), 0);
    }

    @Test
    void rateIntervalIsWilsons() {
        // 90 of 100: Wilson 95% interval [0.8256, 0.9448]
        Estimate e = Estimate.ofRate(90, 100);
        assertEquals(0.9, e.mean(), 1e-12);
        assertEquals(0.82565, e.low(), 1e-4);
        assertEquals(0.94476, e.high(), 1e-4);
        // all successes: not a zero-width interval, and it stays within [0, 1]
        Estimate all = Estimate.ofRate(200, 200);
        assertEquals(1.0, all.high(), 1e-12);
        assertEquals(0.98116, all.low(), 1e-4);
        assertEquals(0.0, Estimate.ofRate(0, 200).low(), 1e-12);
    }

    @Test
    void badSamplesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Estimate.ofMean(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Estimate.ofRate(3, 2));
    }

    @Test
    void klOfIdenticalLogitsIsZeroAndOfShiftedOnesIsKnown() {
        float[] p = {1f, 2f, 3f};
        assertEquals(0, PolicyComparison.kl(p, new float[] {11f, 12f, 13f}, 0, 3), 1e-9);
        // p = (0.5, 0.5), q = (0.25, 0.75): 0.5 ln 2 + 0.5 ln(2/3) = 0.143841
        float[] two = {0f, 0f, 0f, (float) Math.log(3)};
        assertEquals(0.143841, PolicyComparison.kl(two, two, 0, 2) + PolicyComparison.kl(new float[] {0f, 0f},
                new float[] {0f, (float) Math.log(3)}, 0, 2), 1e-5);
    }
}
