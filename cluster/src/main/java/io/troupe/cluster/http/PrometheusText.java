package io.troupe.cluster.http;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.cluster.Member;

/**
 * The job's latest figures in Prometheus' text exposition format (version 0.0.4): every numeric entry of the status
 * snapshot as a gauge {@code troupe_<name>} (non-alphanumerics become underscores), returns per reward version with a
 * {@code reward_version} label, the cluster's members by status, and the JVM's heap.
 */
final class PrometheusText {
    private PrometheusText() {
    }

    static String render(Map<String, Object> status, Iterable<Member> members) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Object> e : status.entrySet()) {
            if (e.getValue() instanceof Number n && Double.isFinite(n.doubleValue())) {
                gauge(b, "troupe_" + name(e.getKey()), "", n.doubleValue());
            } else if (e.getValue() instanceof Boolean flag) {
                gauge(b, "troupe_" + name(e.getKey()), "", flag ? 1 : 0);
            }
        }
        if (status.get("returns_by_reward_version") instanceof Map<?, ?> byVersion) {
            b.append("# TYPE troupe_mean_return_by_reward_version gauge\n");
            b.append("# TYPE troupe_episodes_by_reward_version gauge\n");
            for (Map.Entry<?, ?> e : byVersion.entrySet()) {
                if (e.getValue() instanceof Map<?, ?> v) {
                    String label = "{reward_version=\"" + e.getKey() + "\"}";
                    line(b, "troupe_mean_return_by_reward_version", label, number(v.get("mean_return")));
                    line(b, "troupe_mean_reward_return_by_reward_version", label, number(v.get("mean_reward_return")));
                    line(b, "troupe_episodes_by_reward_version", label, number(v.get("episodes")));
                }
            }
        }
        Map<String, Integer> byStatus = new TreeMap<>();
        for (Member m : members) {
            byStatus.merge(m.status().toString().toLowerCase(Locale.ROOT), 1, Integer::sum);
        }
        b.append("# TYPE troupe_cluster_members gauge\n");
        byStatus.forEach((s, n) -> line(b, "troupe_cluster_members", "{status=\"" + s + "\"}", n));
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        gauge(b, "troupe_jvm_heap_used_bytes", "", heap.getUsed());
        gauge(b, "troupe_jvm_heap_committed_bytes", "", heap.getCommitted());
        if (heap.getMax() > 0) {
            gauge(b, "troupe_jvm_heap_max_bytes", "", heap.getMax());
        }
        return b.toString();
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String name(String key) {
        return key.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    private static void gauge(StringBuilder b, String name, String labels, double value) {
        b.append("# TYPE ").append(name).append(" gauge\n");
        line(b, name, labels, value);
    }

    private static void line(StringBuilder b, String name, String labels, double value) {
        b.append(name).append(labels).append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            b.append((long) value);
        } else {
            b.append(value);
        }
        b.append('\n');
    }
}
