package io.troupe.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import io.troupe.core.CrossNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The settings every node of a job must agree on (the env, the algorithm, the model's shape, the optimizer's
 * settings, the agents' layout, the replay layout, the reward switch point, the pacing of agents and learner), as
 * sorted {@code key=value} lines. Nodes compare theirs with the one the cluster holds and refuse to join with a
 * different one.
 */
public record JobIdentity(List<String> entries) implements CrossNode {
    private static final List<String> ROOTS = List.of("troupe.train.env", "troupe.train.env-overrides",
            "troupe.train.algorithm", "troupe.train.num-agents", "troupe.train.envs-per-agent", "troupe.model",
            "troupe.ppo", "troupe.impala", "troupe.agent.unroll-length", "troupe.replay.shards", "troupe.replay.table",
            "troupe.reward.switch-at",
            // the pacing: agents on one node wait for weights, the learner on another cuts partial batches, and
            // ClusterJob.checkPacing can only compare the two on one node's settings
            "troupe.agent.max-policy-lag", "troupe.agent.policy-wait-timeout", "troupe.learner.partial-batch-after");

    public JobIdentity {
        entries = List.copyOf(entries);
    }

    public static JobIdentity of(Config config) {
        Map<String, String> m = new TreeMap<>();
        ConfigRenderOptions concise = ConfigRenderOptions.concise();
        for (String root : ROOTS) {
            if (!config.hasPath(root)) {
                continue;
            }
            ConfigValue v = config.getValue(root);
            if (v instanceof ConfigObject o) {
                for (Map.Entry<String, ConfigValue> e : o.toConfig().entrySet()) {
                    m.put(root + "." + e.getKey(), e.getValue().render(concise));
                }
            } else {
                m.put(root, v.render(concise));
            }
        }
        List<String> out = new ArrayList<>();
        m.forEach((k, v) -> out.add(k + "=" + v));
        return new JobIdentity(out);
    }

    /** The keys whose values differ (or that only one side has), each with both values. */
    public List<String> differences(JobIdentity other) {
        Map<String, String> mine = asMap();
        Map<String, String> theirs = other.asMap();
        TreeMap<String, String> keys = new TreeMap<>(mine);
        keys.putAll(theirs);
        List<String> out = new ArrayList<>();
        for (String k : keys.keySet()) {
            String a = mine.get(k);
            String b = theirs.get(k);
            if (a == null || !a.equals(b)) {
                out.add(k + " (this node: " + (a == null ? "unset" : a) + ", the cluster's job: "
                        + (b == null ? "unset" : b) + ")");
            }
        }
        return out;
    }

    private Map<String, String> asMap() {
        Map<String, String> m = new TreeMap<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            m.put(e.substring(0, eq), e.substring(eq + 1));
        }
        return m;
    }
}
