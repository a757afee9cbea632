package io.troupe.cluster.run;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the learner side contributes to a metrics line: its counters, the policy lag of its latest batch, and its own
 * figures by metric name ({@code losses/policy_loss}, ...).
 *
 * @param policy how the progress line names the policy ({@code ppo}, {@code uniform random})
 */
public record LearnerReport(long updates, long policyVersion, String policy, long policyLagP50, long policyLagMax,
                            Map<String, Number> figures) {
    public LearnerReport {
        figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
    }

    /** No learner (the random policy): zero updates, version 0. */
    public static LearnerReport none(String policy) {
        return new LearnerReport(0, 0, policy, 0, 0, Map.of());
    }
}
