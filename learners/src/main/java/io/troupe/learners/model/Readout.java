package io.troupe.learners.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where the transformer reads its policy logits and value from ({@code troupe.model.readout}) after the last encoder
 * block: the summary token, or the mean over every token. With one block the summary token's attention query is a
 * constant (the token is a learned vector), so which tokens it gathers cannot depend on the mission. A mean read-out
 * lets every image token first attend to the mission and then report (its feed-forward output) whether and where it
 * is the target, which the mean adds up. (On GoToObject-v0 it learned faster early but ended at the same success.)
 */
public enum Readout {
    /** The summary token's output (the default). */
    SUMMARY,
    /** The mean of every token's output (the summary token and each modality's tokens). */
    MEAN;

    /** What a config says ({@code summary}, {@code mean}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The read-out {@code text} names, in any case; anything else is an error naming the key and the values. */
    public static Readout parse(String text) {
        for (Readout r : values()) {
            if (r.label().equalsIgnoreCase(text.strip())) {
                return r;
            }
        }
        throw new IllegalArgumentException("troupe.model.readout: unknown value '" + text + "'; expected "
                + String.join(", ", Arrays.stream(values()).map(Readout::label).toList()));
    }
}
