package io.troupe.learners.model;

import java.util.Arrays;
import java.util.Locale;

/** The kinds of policy/value network, as {@code troupe.model.kind} names them. */
public enum ModelKind {
    /** The framework's model: a transformer over every modality's tokens (any observation space). */
    TRANSFORMER,
    /** Separate actor and critic MLPs with tanh (1-D float observations only). */
    MLP;

    /** What a config says ({@code transformer}, {@code mlp}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind {@code text} names, in any case; anything else is an error naming the key and the kinds. */
    public static ModelKind parse(String text) {
        for (ModelKind k : values()) {
            if (k.label().equalsIgnoreCase(text.strip())) {
                return k;
            }
        }
        throw new IllegalArgumentException("troupe.model.kind: unknown model kind '" + text + "'; expected "
                + String.join(" or ", Arrays.stream(values()).map(ModelKind::label).toList()));
    }
}
