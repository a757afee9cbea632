package io.troupe.environments;

import io.troupe.core.ByteTensor;

/** An env that can draw its current state as an RGB image, uint8 of shape {@code [3, height, width]}. */
public interface RgbRenderable {
    ByteTensor renderRgb();

    /** A caption for the picture (for example the mission), or empty. */
    default String caption() {
        return "";
    }
}
