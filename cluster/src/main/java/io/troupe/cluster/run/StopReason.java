package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/** Why a run ended, as {@code summary.json}'s {@code stop_reason} and the last line of {@code train} say it. */
public enum StopReason {
    TARGET_REACHED("target reached"),
    STEP_BUDGET_SPENT("step budget spent"),
    TIME_BUDGET_SPENT("time budget spent"),
    INTERRUPTED("interrupted"),
    /**
     * A cluster node took over the learner after the node that reported the run had begun to end the job (it reached
     * the target or spent a budget, and its summary is in its own run directory) and died before finishing that.
     */
    ENDED_ELSEWHERE("ended by the previous learner node");

    private final String text;

    StopReason(String text) {
        this.text = text;
    }

    /** The words a user reads ({@code "target reached"}). */
    @JsonValue
    public String text() {
        return text;
    }

    /** The reason whose {@link #text()} is {@code text}; anything else is an error listing them. */
    public static StopReason parse(String text) {
        for (StopReason r : values()) {
            if (r.text.equals(text)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown stop reason '" + text + "'; expected one of "
                + Arrays.stream(values()).map(StopReason::text).toList());
    }

    @Override
    public String toString() {
        return text;
    }
}
