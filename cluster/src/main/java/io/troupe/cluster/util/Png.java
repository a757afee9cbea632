package io.troupe.cluster.util;

import io.troupe.core.ByteTensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Writes a uint8 CHW image tensor (1 or 3 channels) as a PNG, each pixel scaled to a square. */
public final class Png {
    private Png() {
    }

    public static void write(ByteTensor image, int scale, Path file) {
        int[] shape = image.shape();
        if (shape.length != 3 || (shape[0] != 1 && shape[0] != 3)) {
            throw new IllegalArgumentException("an image tensor is uint8 [3, H, W] or [1, H, W], got " + image.describe());
        }
        int c = shape[0];
        int h = shape[1];
        int w = shape[2];
        byte[] d = image.data();
        BufferedImage img = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = d[y * w + x] & 0xFF;
                int g = c == 3 ? d[h * w + y * w + x] & 0xFF : r;
                int b = c == 3 ? d[2 * h * w + y * w + x] & 0xFF : r;
                int rgb = (r << 16) | (g << 8) | b;
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        img.setRGB(x * scale + dx, y * scale + dy, rgb);
                    }
                }
            }
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
