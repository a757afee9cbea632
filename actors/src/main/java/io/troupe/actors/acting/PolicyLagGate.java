package io.troupe.actors.acting;

import java.util.ArrayDeque;

/**
 * The {@code max-policy-lag} bound of an agent: with N >= 0, an unroll may start only on a policy version newer than
 * the one that started the agent's unroll N + 1 unrolls back, and never before the learner's first version, so an
 * agent stays at most N + 1 unrolls ahead of its weights (N = 0 is synchronous PPO). With N = -1 it never holds an
 * agent back. Pure: the agent asks it at each unroll's start and tells it which version started each unroll.
 */
public final class PolicyLagGate {
    private final int maxLag;
    /** Versions that started the last maxLag + 1 unrolls, oldest first. */
    private final ArrayDeque<Long> startVersions = new ArrayDeque<>();

    /** @param maxLag -1 (off) or N >= 0 */
    public PolicyLagGate(int maxLag) {
        if (maxLag < -1) {
            throw new IllegalArgumentException("troupe.agent.max-policy-lag must be -1 (off) or >= 0, got " + maxLag);
        }
        this.maxLag = maxLag;
    }

    /**
     * Whether the next unroll must wait for a newer version than {@code newest}, the newest the agent holds or has
     * received (-1: none yet).
     */
    public boolean mustWait(long newest) {
        if (maxLag < 0) {
            return false;
        }
        if (newest < 0) {
            return true; // no published version yet: the learner's first one is what its first batch is measured by
        }
        return startVersions.size() > maxLag && newest <= startVersions.peekFirst();
    }

    /** An unroll that started on {@code version} is complete. */
    public void unrollDone(long version) {
        startVersions.addLast(version);
        while (startVersions.size() > Math.max(0, maxLag) + 1) {
            startVersions.removeFirst();
        }
    }
}
