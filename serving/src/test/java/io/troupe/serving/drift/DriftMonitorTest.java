package io.troupe.serving.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The drift statistics and the monitor on synthetic traffic with known answers. */
class DriftMonitorTest {
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    @TempDir
    Path tmp;

    private static double[] gaussian(SplittableRandom rng, int n, double mean, double sd) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = mean + sd * rng.nextGaussian();
        }
        return out;
    }

    @Test
    void psiIsZeroForTheSameSharesAndGrowsWithTheShift() {
        double[] same = {0.25, 0.25, 0.25, 0.25};
        assertEquals(0, Stability.psi(same, same), 1e-12);
        // the textbook value: (0.4-0.25) ln(0.4/0.25) + (0.1-0.25) ln(0.1/0.25) twice
        double shifted = Stability.psi(same, new double[] {0.4, 0.1, 0.4, 0.1});
        assertEquals(2 * (0.15 * Math.log(0.4 / 0.25) - 0.15 * Math.log(0.1 / 0.25)), shifted, 1e-12);
        assertTrue(Stability.psi(same, new double[] {1, 0, 0, 0}) > 1, "an empty bin counts, finitely");
        assertThrows(IllegalArgumentException.class, () -> Stability.psi(same, new double[3]));
    }

    @Test
    void ksFindsAShiftedSampleAndPassesTheSameDistribution() {
        SplittableRandom rng = new SplittableRandom(1);
        double[] a = gaussian(rng, 2000, 0, 1);
        double[] b = gaussian(rng, 1000, 0, 1);
        double[] c = gaussian(rng, 1000, 0.5, 1);
        Arrays.sort(a);
        Arrays.sort(b);
        Arrays.sort(c);
        double same = Stability.ksStatistic(a, b);
        double moved = Stability.ksStatistic(a, c);
        assertTrue(same < 0.06, "same distribution: D = " + same);
        assertTrue(moved > 0.15, "shifted by half a standard deviation: D = " + moved);
        assertTrue(Stability.ksPValue(same, 2000, 1000) > 0.01);
        assertTrue(Stability.ksPValue(moved, 2000, 1000) < 1e-6);
        assertEquals(1.0, Stability.ksStatistic(new double[] {0, 1}, new double[] {2, 3}), 1e-12);
    }

    @Test
    void pageHinkleyIgnoresSmallDropsAndCatchesASustainedOne() {
        PageHinkley ph = new PageHinkley(500, 25, 500);
        for (int i = 0; i < 1000; i++) {
            assertFalse(ph.add(i % 2 == 0 ? 480 : 510), "noise around the reference raises nothing");
        }
        assertFalse(ph.add(200));
        assertTrue(ph.add(200), "two episodes 300 below the reference accumulate 550 > 500");
        assertTrue(ph.add(500), "the alarm stays raised");
        assertThrows(IllegalArgumentException.class, () -> new PageHinkley(1, 0, 0));
    }

    private static ReferenceProfile profile(SplittableRandom rng) {
        List<double[]> rows = new ArrayList<>();
        int[] actions = new int[4000];
        for (int i = 0; i < 4000; i++) {
            rows.add(new double[] {rng.nextGaussian(), 3 + 0.1 * rng.nextGaussian()});
            actions[i] = rng.nextInt(4) == 0 ? 1 : 0;
        }
        return ReferenceProfile.of(rows, actions, 2, gaussian(rng, 4000, 10, 1), new double[] {100, 98, 102});
    }

    @Test
    void theMonitorAlarmsOnAShiftedFeatureAndOnChangedActionsButNotOnTheReference() {
        SplittableRandom rng = new SplittableRandom(7);
        DriftSettings settings = new DriftSettings(true, 500, 50, 0.2, 0.25, 20, 0.05, 1.0, TEN_MINUTES);
        DriftMonitor monitor = new DriftMonitor(profile(rng), settings, -1);
        for (int i = 0; i < 2000; i++) {
            monitor.observe(new double[] {rng.nextGaussian(), 3 + 0.1 * rng.nextGaussian()}, rng.nextInt(4) == 0 ? 1
                    : 0, 10 + rng.nextGaussian());
            if (i >= 500 && i % 50 == 0) {
                assertEquals(List.of(), monitor.report().alarms(), "traffic like the reference, row " + i);
            }
        }
        assertEquals(500, monitor.report().windowRows());
        for (int i = 0; i < 500; i++) {
            monitor.observe(new double[] {rng.nextGaussian(), 3.3 + 0.1 * rng.nextGaussian()}, 1, 10);
        }
        List<String> alarms = monitor.report().alarms();
        assertTrue(alarms.contains("psi:obs_1") && alarms.contains("ks:obs_1") && alarms.contains("psi:action"),
                alarms.toString());
        assertFalse(alarms.contains("psi:obs_0"), alarms.toString());
        assertThrows(IllegalArgumentException.class, () -> monitor.observe(new double[3], 0, 0));
        assertThrows(IllegalArgumentException.class, () -> monitor.feedback(Double.NaN));
    }

    @Test
    void aProfileSurvivesItsFileAndABadFileIsNamed() throws Exception {
        ReferenceProfile p = profile(new SplittableRandom(3));
        Path file = tmp.resolve(ReferenceProfile.FILE);
        p.write(file);
        ReferenceProfile back = ReferenceProfile.read(file);
        assertEquals(p.features().size(), back.features().size());
        assertTrue(Arrays.equals(p.features().get(1).edges(), back.features().get(1).edges()));
        assertTrue(Arrays.equals(p.actionShares(), back.actionShares()));
        assertEquals(100, back.evalReturn(), 1e-9);
        Files.writeString(file, "{\"features\": 3}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReferenceProfile.read(file));
        assertTrue(e.getMessage().contains(file + " is not a reference profile"), e.getMessage());
    }

    @Test
    void settingsNameTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DriftSettings(true, 0, 1,
                0.2, 0.25, 1, 0, 1, TEN_MINUTES));
        assertTrue(e.getMessage().contains("troupe.serving.drift.window"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DriftSettings(true, 1, 1, 0, 0.25, 1, 0, 1,
                TEN_MINUTES)).getMessage().contains("psi-threshold"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DriftSettings(true, 1, 1, 0.2, 0.25, 1, 0,
                1, Duration.ZERO)).getMessage().contains("follow-reprofile-after"));
    }
}
