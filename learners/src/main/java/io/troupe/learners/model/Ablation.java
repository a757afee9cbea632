package io.troupe.learners.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which modality the model is denied ({@code troupe.model.ablate}): its input is replaced by a constant (token id 0,
 * {@code <pad>}, for text; a black image) where observations become model input ({@link PolicyModel#inputs}), so
 * training, evaluation and agents alike see the constant. Used to show that a task needs both modalities.
 */
public enum Ablation {
    /** The model sees every modality. */
    NONE,
    /** Every Text modality (the mission) is replaced by padding. */
    TEXT,
    /** Every image modality (uint8 {@code [C, H, W]}) is replaced by zeros. */
    IMAGE;

    /** What a config says ({@code none}, {@code text}, {@code image}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The ablation {@code text} names, in any case; anything else is an error naming the key and the values. */
    public static Ablation parse(String text) {
        for (Ablation a : values()) {
            if (a.label().equalsIgnoreCase(text.strip())) {
                return a;
            }
        }
        throw new IllegalArgumentException("troupe.model.ablate: unknown value '" + text + "'; expected "
                + String.join(", ", Arrays.stream(values()).map(Ablation::label).toList()));
    }
}
