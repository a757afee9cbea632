package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One greedy evaluation of a published policy during a run ({@code troupe.train.evaluation}), as
 * {@code summary.json}'s {@code last_evaluation} says it.
 *
 * @param policyVersion the version played
 * @param envSteps      the run's env steps when the evaluation was asked for
 * @param seed          the seed its copies were reset from: {@code ./troupe eval --seed S --episodes N} on the same
 *                      weights (with N copies up to 16, as the default 16 copies) plays the same episodes
 * @param episodes      episodes played
 * @param meanReturn    their mean return
 * @param successRate   their success rate; absent for envs that do not report success
 * @param meanLength    their mean length
 */
public record EvaluationFigures(long policyVersion, long envSteps, long seed, int episodes, double meanReturn,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Double successRate, double meanLength) {
}
