package io.troupe.cluster.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The learning curves the dashboard draws: the numeric fields of every metrics line the job reported, each point
 * numbered ({@code seq}) so a page asks only for what it has not seen. It holds at most {@code capacity} points: when
 * full, every other point of the older half is dropped, so a run of a million steps keeps its whole shape in a
 * bounded number of points (recent points at full resolution, older ones thinned by powers of two). Thread-safe.
 */
public final class MetricsHistory {
    /** One point: its sequence number and the line's numbers by field name. */
    public record Point(long seq, Map<String, Double> values) {
        public Point {
            values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }
    }

    private final int capacity;
    private final List<Point> points = new ArrayList<>();
    private long nextSeq;
    private double lastWall = Double.NaN;

    /** @param capacity the most points held (at least 4) */
    public MetricsHistory(int capacity) {
        if (capacity < 4) {
            throw new IllegalArgumentException("a metrics history holds at least 4 points, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Records a metrics line's numbers unless it is the line recorded last (same {@code wall_s}) or the line before
     * the first report (no {@code wall_s} above 0); returns whether it was recorded.
     */
    public synchronized boolean record(Map<String, Double> values) {
        Double wall = values.get("wall_s");
        if (wall == null || wall <= 0 || wall.equals(lastWall)) {
            return false;
        }
        lastWall = wall;
        if (points.size() >= capacity) {
            thin();
        }
        points.add(new Point(nextSeq++, values));
        return true;
    }

    /** Drops every other point of the older half. */
    private void thin() {
        int half = points.size() / 2;
        List<Point> kept = new ArrayList<>(capacity);
        for (int i = 0; i < half; i++) {
            if (i % 2 == 0) {
                kept.add(points.get(i));
            }
        }
        kept.addAll(points.subList(half, points.size()));
        points.clear();
        points.addAll(kept);
    }

    /** The numeric fields of a metrics line (nested objects such as returns_by_reward_version are left out). */
    public static Map<String, Double> numbers(JsonNode line) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = line.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNumber()) {
                out.put(e.getKey(), e.getValue().doubleValue());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** The points after sequence number {@code seq} (all of them for -1), oldest first. */
    public synchronized List<Point> since(long seq) {
        List<Point> out = new ArrayList<>();
        for (Point p : points) {
            if (p.seq() > seq) {
                out.add(p);
            }
        }
        return out;
    }

    public synchronized int size() {
        return points.size();
    }
}
