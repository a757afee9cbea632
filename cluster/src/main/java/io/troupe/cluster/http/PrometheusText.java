package io.troupe.cluster.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.core.http.PrometheusFormat;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.cluster.Member;

/**
 * The job's latest figures in Prometheus' text exposition format ({@link PrometheusFormat}, shared with the policy
 * service's {@code /metrics}): every numeric or boolean entry of the status snapshot's JSON as a gauge
 * {@code troupe_<name>} (non-alphanumerics become underscores), returns per reward version with a
 * {@code reward_version} label, the cluster's members by status, and the JVM's heap.
 */
final class PrometheusText {
    private PrometheusText() {
    }

    static String render(JsonNode status, Iterable<Member> members) {
        StringBuilder b = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = status.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNumber()) {
                gauge(b, "troupe_" + name(e.getKey()), "", e.getValue().doubleValue());
            } else if (e.getValue().isBoolean()) {
                gauge(b, "troupe_" + name(e.getKey()), "", e.getValue().booleanValue() ? 1 : 0);
            }
        }
        JsonNode byVersion = status.path("returns_by_reward_version");
        if (byVersion.isObject()) {
            b.append("# TYPE troupe_mean_return_by_reward_version gauge\n");
            b.append("# TYPE troupe_episodes_by_reward_version gauge\n");
            for (Iterator<Map.Entry<String, JsonNode>> it = byVersion.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                String label = "{reward_version=\"" + e.getKey() + "\"}";
                line(b, "troupe_mean_return_by_reward_version", label, number(v.path("mean_return")));
                line(b, "troupe_mean_reward_return_by_reward_version", label, number(v.path("mean_reward_return")));
                line(b, "troupe_episodes_by_reward_version", label, number(v.path("episodes")));
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

    private static double number(JsonNode n) {
        return n.isNumber() ? n.doubleValue() : Double.NaN;
    }

    private static String name(String key) {
        return PrometheusFormat.name(key);
    }

    private static void gauge(StringBuilder b, String name, String labels, double value) {
        PrometheusFormat.gauge(b, name, labels, value);
    }

    private static void line(StringBuilder b, String name, String labels, double value) {
        PrometheusFormat.sample(b, name, labels, value);
    }
}
