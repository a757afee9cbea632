package io.troupe.replay.table;

import java.util.Locale;

/** Reverb's selectors: {@code Selectors.uniform()}, {@code prioritized(alpha)}, {@code fifo()}, {@code lifo()}. */
public final class Selectors {
    private Selectors() {
    }

    public static SelectorSpec uniform() {
        return new SelectorSpec.Uniform();
    }

    public static SelectorSpec prioritized(double alpha) {
        return new SelectorSpec.Prioritized(alpha);
    }

    public static SelectorSpec fifo() {
        return new SelectorSpec.Fifo();
    }

    public static SelectorSpec lifo() {
        return new SelectorSpec.Lifo();
    }

    /** Parses {@code uniform}, {@code fifo}, {@code lifo} or {@code prioritized} (with {@code alpha}). */
    public static SelectorSpec parse(String name, double alpha, String key) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "uniform" -> uniform();
            case "fifo" -> fifo();
            case "lifo" -> lifo();
            case "prioritized" -> prioritized(alpha);
            default -> throw new IllegalArgumentException(key + ": unknown selector '" + name
                    + "'; expected uniform, prioritized, fifo or lifo");
        };
    }
}
