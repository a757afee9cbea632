package io.troupe.serving.model;

import java.util.Arrays;
import java.util.Locale;

/** What an act request may ask for beside the action. */
public enum Output {
    /** The action distribution's probabilities (softmax of the logits). */
    PROBS,
    /** The critic's value estimate. */
    VALUE,
    /** The log-probability of the chosen action. */
    LOGP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The output {@code text} names; anything else is an error naming {@code field} and the outputs there are. */
    public static Output parse(String text, String field) {
        for (Output o : values()) {
            if (o.label().equals(text)) {
                return o;
            }
        }
        throw new IllegalArgumentException(field + ": unknown output '" + text + "'; expected one of "
                + Arrays.stream(values()).map(Output::label).toList());
    }
}
