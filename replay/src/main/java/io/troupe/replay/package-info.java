/**
 * Replay: Reverb-style tables (selectors, rate limiters, sum-tree), Kryo codecs, durable logs and the ReplayShard
 * actor. Depends on {@code core} only. Filled in by the replay issue.
 */
package io.troupe.replay;
