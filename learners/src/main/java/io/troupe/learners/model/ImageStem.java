package io.troupe.learners.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * A transformer's cell stem ({@code troupe.model.stem}): before the patch embedding, each {@code cellSize x cellSize}
 * block of pixels (one grid cell of a GoToObject room) goes through a strided convolution to {@code channels} features
 * and a ReLU; with FiLM the mission scales and shifts those features, followed by a second ReLU (BabyAI's FiLM layers);
 * the patch embedding then maps {@code patchSize / cellSize} cells a side to one token. Without it the patch embedding
 * is linear in the pixels, so an image token cannot say "a red ball here" apart from "red here" and "a ball here", nor
 * can FiLM test both words of the mission in one cell; the stem's ReLUs can.
 *
 * @param channels features per cell; 0 = no stem (the default)
 * @param cellSize the cell side in pixels (must divide {@code troupe.model.patch-size})
 */
public record ImageStem(int channels, int cellSize) {
    /** No stem: the patch embedding alone. */
    public static final ImageStem NONE = new ImageStem(0, 1);

    public ImageStem {
        if (channels < 0) {
            throw new IllegalArgumentException("troupe.model.stem.channels must be >= 0 (0: no stem), got " + channels);
        }
        if (cellSize < 1) {
            throw new IllegalArgumentException("troupe.model.stem.cell-size must be >= 1 pixel, got " + cellSize);
        }
    }

    public boolean on() {
        return channels > 0;
    }

    /** Part of the model id: {@code stem32x6} (channels x cell size). */
    public String describe() {
        return "stem" + channels + "x" + cellSize;
    }

    static ImageStem fromConfig(Config stem) {
        try {
            int channels = stem.getInt("channels");
            return channels == 0 ? NONE : new ImageStem(channels, stem.getInt("cell-size"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.model.stem: " + e.getMessage(), e);
        }
    }
}
