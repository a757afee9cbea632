package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of {@code metrics.jsonl}, written once per report interval. The learner's own figures ({@code learner})
 * follow the fixed keys under CleanRL's namespaced names ({@code losses/policy_loss}, {@code charts/learning_rate},
 * {@code agents/aborted_episodes}).
 *
 * @param wallS                   seconds since the run started
 * @param meanReturn100           mean return of the last 100 episodes (null before the first)
 * @param successRate100          their success rate; absent for envs that do not report success
 * @param stepsPerS               env steps per second since the previous line
 * @param policyLagP50            median policy lag of the learner's latest batch
 * @param rewardVersion           the reward version of the latest finished episode
 * @param returnsByRewardVersion  per reward version since the start (keys are version numbers)
 * @param learner                 the learner's figures by metric name
 */
public record MetricsLine(double wallS, long envSteps, long episodes,
                          @JsonProperty("mean_return_100") double meanReturn100,
                          @JsonProperty("success_rate_100") @JsonInclude(JsonInclude.Include.NON_NULL)
                          Double successRate100,
                          long stepsPerS, long learnerUpdates, long policyVersion, long policyLagP50,
                          long policyLagMax, long rewardVersion, Map<String, VersionReturns> returnsByRewardVersion,
                          long rewardFallbacks, @JsonAnyGetter Map<String, Number> learner) {
    public MetricsLine {
        returnsByRewardVersion = Collections.unmodifiableMap(new LinkedHashMap<>(returnsByRewardVersion));
        learner = Collections.unmodifiableMap(new LinkedHashMap<>(learner));
    }

    /** The line before the first report: nothing counted yet. */
    public static MetricsLine start() {
        return new MetricsLine(0, 0, 0, Double.NaN, null, 0, 0, 0, 0, 0, 0, Map.of(), 0, Map.of());
    }
}
