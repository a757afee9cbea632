package io.troupe.actors;

import java.util.Arrays;
import java.util.Locale;

/**
 * What an agent is doing, as {@link Agent.Stats} and the admin API report it (by {@link #label()}).
 */
public enum AgentState {
    /** Waiting for the reward registry's active version before acting. */
    STARTING,
    /** Stepping its env copies. */
    ACTING,
    /** Replay holds {@code max-unconfirmed-batches} of its batches: waiting for it to store them (backpressure). */
    WAITING_FOR_REPLAY,
    /** The {@code max-policy-lag} bound holds the next unroll until newer weights arrive (or the wait times out). */
    WAITING_FOR_POLICY,
    /** Paused by an admin: the env copies wait mid-episode, nothing is lost. */
    PAUSED;

    /** The name users see: {@code waiting-for-policy}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The state of {@code label}; an error naming the labels otherwise. */
    public static AgentState ofLabel(String label) {
        for (AgentState s : values()) {
            if (s.label().equals(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown agent state '" + label + "'; expected one of "
                + Arrays.stream(values()).map(AgentState::label).toList());
    }
}
