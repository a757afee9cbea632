package io.troupe.actors;

import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Space;
import java.util.List;

/**
 * Checks before a job starts that one agent's unroll fits a message: an unroll larger than the budget could never be
 * sent, and the agent would fail at its first full unroll, again after every restart.
 */
public final class UnrollBudget {
    private UnrollBudget() {
    }

    /** Estimated bytes of one unroll of {@code unrollLength} steps in {@code spec}'s env, as a one-item batch. */
    public static long unrollBytes(EnvSpec spec, int unrollLength, String producerId) {
        int t = unrollLength;
        Space actions = spec.actionSpace();
        int logits = actions instanceof Discrete d ? d.n() : 0;
        int[] discrete = actions instanceof Discrete ? new int[t] : new int[0];
        float[] continuous = actions instanceof Box b ? new float[t * b.size()] : new float[0];
        Unroll unroll = new Unroll(producerId, 0, ObservationBatch.forSpace(spec.observationSpace(), t + 1), discrete,
                continuous, new float[t], new boolean[t], new boolean[t], new float[t * logits], new float[t],
                new float[t], 0, 0, new float[t]);
        return ExperienceBatch.of(List.of(unroll)).estimatedBytes();
    }

    /**
     * Throws when one unroll does not fit the smaller of the replay's and the transport's message limits; the message
     * names the estimate, both keys and what to change.
     */
    public static void check(EnvSpec spec, AgentSettings settings, long transportMaxBytes) {
        long bytes = unrollBytes(spec, settings.unrollLength(), "agent-000");
        long budget = Math.min(settings.maxMessageBytes(), transportMaxBytes);
        if (bytes > budget) {
            throw new IllegalArgumentException("one unroll of " + settings.unrollLength() + " steps of "
                    + spec.id() + " takes about " + bytes + " bytes, more than the message budget of " + budget
                    + " bytes (troupe.replay.max-message-bytes = " + settings.maxMessageBytes()
                    + ", troupe.transport.max-message-bytes = " + transportMaxBytes + "); shorten "
                    + "troupe.agent.unroll-length, or raise both keys and pekko.remote.artery.advanced."
                    + "maximum-frame-size above " + bytes);
        }
    }
}
