/**
 * Learners: DJL models built from an EnvSpec, algorithms (PPO, IMPALA) as pure update steps, and the Learner actor.
 * Each algorithm owns its update ({@link UpdateStep}); the actor samples, publishes and checkpoints.
 * Depends on {@code core}, {@code environments}, {@code transport} and {@code replay}.
 */
package io.troupe.learners;
