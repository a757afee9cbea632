package io.troupe.serving.metrics;

import io.troupe.core.http.PrometheusFormat;
import io.troupe.serving.drift.DriftMonitor;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The service's figures in Prometheus' text format: requests by route, method and status, request latency by route,
 * and per policy the batch sizes and times, queue depth, refused and timed-out requests, served version and refused
 * weights.
 * Routes are label values from a fixed set (templates, not raw paths), so the series stay few. Thread-safe.
 */
public final class ServingMetrics {
    /** A policy's live gauges, read when the metrics are rendered. */
    public interface Gauges {
        int queueDepth();

        long version();

        /** The policy's drift monitor, when it has a reference profile. */
        default Optional<DriftMonitor> drift() {
            return Optional.empty();
        }
    }

    private record RequestKey(String route, String method, int status) {
    }

    private final Map<RequestKey, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Map<String, PolicyMetrics> policies = new ConcurrentHashMap<>();
    private final LongAdder directRequests = new LongAdder();

    /** A finished request: its route template, method, status and seconds. */
    public void request(String route, String method, int status, double seconds) {
        requests.computeIfAbsent(new RequestKey(route, method, status), k -> new LongAdder()).increment();
        latency.computeIfAbsent(route, r -> new Histogram(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                0.5, 1, 2.5, 10)).observe(seconds);
    }

    /** An act request that took the direct path (its body's length declared, no routing DSL), counted apart. */
    public void directRequest() {
        directRequests.increment();
    }

    /** The metrics of policy {@code name} (created on first use, kept when it is reloaded). */
    public PolicyMetrics policy(String name) {
        return policies.computeIfAbsent(name, n -> new PolicyMetrics());
    }

    /** The text exposition; {@code gauges} gives each loaded policy's queue depth and version. */
    public String render(Map<String, ? extends Gauges> gauges) {
        StringBuilder b = new StringBuilder();
        b.append("# HELP troupe_serving_requests_total HTTP requests answered, by route template, method and status\n");
        b.append("# TYPE troupe_serving_requests_total counter\n");
        Map<RequestKey, LongAdder> sortedRequests = new TreeMap<>(Comparator.comparing(RequestKey::route)
                .thenComparing(RequestKey::method).thenComparingInt(RequestKey::status));
        sortedRequests.putAll(requests);
        sortedRequests.forEach((k, n) -> b.append("troupe_serving_requests_total{route=\"")
                .append(PrometheusFormat.label(k.route)).append("\",method=\"").append(k.method)
                .append("\",status=\"").append(k.status).append("\"} ").append(n.sum()).append('\n'));
        b.append("# HELP troupe_serving_direct_requests_total act and act-batch requests that took the direct path "
                + "(a body of declared length, no routing DSL); the others of those routes were routed\n");
        b.append("# TYPE troupe_serving_direct_requests_total counter\n");
        b.append("troupe_serving_direct_requests_total ").append(directRequests.sum()).append('\n');
        b.append("# HELP troupe_serving_request_seconds time from the request's arrival to its answer, by route\n");
        b.append("# TYPE troupe_serving_request_seconds histogram\n");
        new TreeMap<>(latency).forEach((route, h) -> h.render(b, "troupe_serving_request_seconds",
                "route=\"" + PrometheusFormat.label(route) + "\","));
        Map<String, PolicyMetrics> sorted = new ConcurrentSkipListMap<>(policies);
        b.append("# HELP troupe_serving_batch_size observations per forward pass\n");
        b.append("# TYPE troupe_serving_batch_size histogram\n");
        sorted.forEach((name, m) -> m.batchRows.render(b, "troupe_serving_batch_size", policyLabel(name) + ","));
        b.append("# HELP troupe_serving_batch_seconds time of one forward pass\n");
        b.append("# TYPE troupe_serving_batch_seconds histogram\n");
        sorted.forEach((name, m) -> m.batchSeconds.render(b, "troupe_serving_batch_seconds", policyLabel(name) + ","));
        counter(b, sorted, "troupe_serving_rejected_total", "requests refused with 503 because the queue was full",
                m -> m.rejected.sum());
        counter(b, sorted, "troupe_serving_timed_out_total", "requests answered 503 because the policy gave no answer "
                + "within request-timeout (queued, or in or behind a forward pass that long)", m -> m.timedOut.sum());
        counter(b, sorted, "troupe_serving_weights_refused_total", "weights a worker's replica refused to load",
                m -> m.weightsRefused.sum());
        counter(b, sorted, "troupe_serving_versions_failed_check_total",
                "new versions that failed the quick check and were not served", m -> m.versionsFailedCheck.sum());
        Map<String, Gauges> live = new ConcurrentSkipListMap<>(gauges);
        b.append("# HELP troupe_serving_queue_depth requests waiting for a worker\n");
        b.append("# TYPE troupe_serving_queue_depth gauge\n");
        live.forEach((name, g) -> b.append("troupe_serving_queue_depth{").append(policyLabel(name)).append("} ")
                .append(g.queueDepth()).append('\n'));
        b.append("# HELP troupe_serving_policy_version the policy version served\n");
        b.append("# TYPE troupe_serving_policy_version gauge\n");
        live.forEach((name, g) -> b.append("troupe_serving_policy_version{").append(policyLabel(name)).append("} ")
                .append(g.version()).append('\n'));
        drift(b, live);
        return b.toString();
    }

    /** The drift monitors' latest comparison: PSI and KS per feature, action PSI, alarms, reported returns. */
    private static void drift(StringBuilder b, Map<String, Gauges> live) {
        Map<String, DriftMonitor> monitors = new TreeMap<>();
        live.forEach((name, g) -> g.drift().ifPresent(m -> monitors.put(name, m)));
        Map<String, DriftMonitor.Report> reports = new TreeMap<>();
        monitors.forEach((name, m) -> reports.put(name, m.report()));
        b.append("# HELP troupe_serving_drift_psi population stability index of a feature, live window vs reference\n");
        b.append("# TYPE troupe_serving_drift_psi gauge\n");
        reports.forEach((name, r) -> {
            for (int f = 0; f < r.featurePsi().length; f++) {
                b.append("troupe_serving_drift_psi{").append(policyLabel(name)).append(",feature=\"")
                        .append(PrometheusFormat.label(monitors.get(name).reference().features().get(f).name()))
                        .append("\"} ").append(PrometheusFormat.number(r.featurePsi()[f])).append('\n');
            }
        });
        b.append("# HELP troupe_serving_drift_ks Kolmogorov-Smirnov statistic of a feature, live window vs reference\n");
        b.append("# TYPE troupe_serving_drift_ks gauge\n");
        reports.forEach((name, r) -> {
            for (int f = 0; f < r.featureKs().length; f++) {
                b.append("troupe_serving_drift_ks{").append(policyLabel(name)).append(",feature=\"")
                        .append(PrometheusFormat.label(monitors.get(name).reference().features().get(f).name()))
                        .append("\"} ").append(PrometheusFormat.number(r.featureKs()[f])).append('\n');
            }
        });
        gauge(b, reports, "troupe_serving_drift_action_psi", "population stability index of the actions",
                DriftMonitor.Report::actionPsi);
        gauge(b, reports, "troupe_serving_drift_value_psi", "population stability index of the value estimates",
                DriftMonitor.Report::valuePsi);
        gauge(b, reports, "troupe_serving_drift_alarms", "drift alarms raised now (features, actions, returns)",
                r -> r.alarms().size());
        gauge(b, reports, "troupe_serving_drift_window_rows", "served rows in the compared window",
                DriftMonitor.Report::windowRows);
        gauge(b, reports, "troupe_serving_feedback_episodes", "episode returns reported by clients",
                DriftMonitor.Report::feedbackEpisodes);
        gauge(b, reports, "troupe_serving_return_alarm", "1 when Page-Hinkley finds the reported returns dropped "
                + "below the evaluation return", r -> r.alarms().contains("return") ? 1 : 0);
        gauge(b, monitors, "troupe_serving_reference_return", "the reference profile's evaluation return",
                m -> m.reference().evalReturn());
    }

    private static <T> void gauge(StringBuilder b, Map<String, T> byPolicy, String name, String help,
                                  ToDoubleFunction<T> value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
        byPolicy.forEach((p, v) -> {
            double x = value.applyAsDouble(v);
            b.append(name).append('{').append(policyLabel(p)).append("} ")
                    .append(Double.isFinite(x) ? Double.toString(x) : "NaN").append('\n');
        });
    }

    private static void counter(StringBuilder b, Map<String, PolicyMetrics> policies, String name, String help,
                                ToLongFunction<PolicyMetrics> value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
        policies.forEach((p, m) -> b.append(name).append('{').append(policyLabel(p)).append("} ")
                .append(value.applyAsLong(m)).append('\n'));
    }

    private static String policyLabel(String name) {
        return "policy=\"" + PrometheusFormat.label(name) + "\"";
    }
}
