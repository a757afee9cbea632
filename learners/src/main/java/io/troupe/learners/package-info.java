/**
 * Learners: DJL models built from an EnvSpec, algorithms (PPO, IMPALA) as pure update steps, and the Learner actor.
 * Depends on {@code core} and {@code replay}. Filled in by the learners issue.
 */
package io.troupe.learners;
