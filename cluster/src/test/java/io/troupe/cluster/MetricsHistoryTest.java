package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.cluster.monitor.MetricsHistory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's curve history: bounded, recent points kept at full resolution, the whole run's span kept. */
class MetricsHistoryTest {
    @Test
    void aMillionStepRunStaysWithinCapacityAndKeepsItsWholeSpan() {
        MetricsHistory h = new MetricsHistory(2000);
        for (int i = 1; i <= 100_000; i++) {
            assertTrue(h.record(Map.of("wall_s", (double) i, "env_steps", i * 10.0)));
        }
        assertTrue(h.size() <= 2000, "held " + h.size());
        List<MetricsHistory.Point> all = h.since(-1);
        assertEquals(10.0, all.get(0).values().get("env_steps"), "the first point is kept");
        assertEquals(1_000_000.0, all.get(all.size() - 1).values().get("env_steps"), "the latest is kept");
        // the newest quarter of the capacity is at full resolution
        for (int i = all.size() - 500; i < all.size(); i++) {
            assertEquals(all.get(i - 1).values().get("wall_s") + 1, all.get(i).values().get("wall_s"));
        }
        long last = all.get(all.size() - 1).seq();
        assertEquals(List.of(), h.since(last));
        h.record(Map.of("wall_s", 100_001.0));
        assertEquals(1, h.since(last).size(), "a page asks only for what it has not seen");
    }

    @Test
    void theSameLineTwiceAndTheLineBeforeTheFirstReportAreNotRecorded() {
        MetricsHistory h = new MetricsHistory(10);
        assertFalse(h.record(Map.of("wall_s", 0.0, "env_steps", 0.0)));
        assertFalse(h.record(Map.of("env_steps", 5.0)));
        assertTrue(h.record(Map.of("wall_s", 1.0)));
        assertFalse(h.record(Map.of("wall_s", 1.0)));
        assertEquals(1, h.size());
    }
}
