package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.Map;

/**
 * {@code summary.json}: how the run ended and its final figures. Times to solve are null when the target was not
 * reached; {@code *_since_jvm_start} count from the JVM's start (launch included).
 *
 * @param targetReturn       the 100-episode mean return that counts as solved (null: the env has none)
 * @param targetSuccessRate  the 100-episode success rate that counts as solved (envs that report success)
 * @param lastEvaluation     the run's last greedy evaluation ({@code troupe.train.evaluation}); absent without one
 * @param bestEvaluation     its best greedy evaluation (highest success rate, else mean return; the later on a tie),
 *                           whose weights are the run's {@code checkpoints/best/}; absent without one
 * @param facts              how the run was set up and how far its learner got
 */
public record RunSummary(String runId, String env, Algorithm algorithm, long seed, boolean solved,
                         StopReason stopReason, Double targetReturn, Double targetSuccessRate,
                         @JsonProperty("wall_s_to_solve") Double wallSToSolve, Long envStepsToSolve, double wallS,
                         @JsonProperty("wall_s_since_jvm_start") double wallSSinceJvmStart,
                         @JsonProperty("wall_s_to_solve_since_jvm_start") Double wallSToSolveSinceJvmStart,
                         long envSteps, long episodes,
                         @JsonProperty("mean_return_100") double meanReturn100,
                         @JsonProperty("success_rate_100") @JsonInclude(JsonInclude.Include.NON_NULL)
                         Double successRate100,
                         double stepsPerS, Map<String, VersionReturns> returnsByRewardVersion, long rewardFallbacks,
                         @JsonInclude(JsonInclude.Include.NON_NULL) EvaluationFigures lastEvaluation,
                         @JsonInclude(JsonInclude.Include.NON_NULL) EvaluationFigures bestEvaluation,
                         @JsonUnwrapped RunFacts facts) {
}
