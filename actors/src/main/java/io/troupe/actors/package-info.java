/**
 * Actors: the Agent entity that steps vectorized envs, batches inference, applies the active reward function and
 * streams experience. Depends on {@code core}, {@code environments} and {@code replay}, never on {@code learners}.
 * Filled in by the agents issue.
 */
package io.troupe.actors;
