package io.troupe.environments.gotoobject;

import java.util.List;

/**
 * Draws a room of {@code size x size} cells into one uint8 CHW image, one {@code cell x cell} patch per cell: grid
 * lines on each cell's top and left edge, objects (ball, box, key) in MiniGrid's colours, the agent as a white
 * triangle pointing where it last moved (orange after a blocked move, where the level asks for it). Cells are redrawn one at a time, so an env redraws only what changed.
 */
final class RoomPainter {
    /** Object types, in vocabulary order. */
    static final List<String> TYPES = List.of("ball", "box", "key");
    /** Object colours, in vocabulary order, with MiniGrid's RGB values. */
    static final List<String> COLORS = List.of("red", "green", "blue", "purple", "yellow", "grey");
    private static final int[][] RGB = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {112, 39, 195}, {255, 255, 0},
        {100, 100, 100}};
    private static final int[] GRID_RGB = {40, 40, 40};
    private static final int[] AGENT_RGB = {255, 255, 255};
    /** The agent after a blocked move, where a level draws it so ({@code view = agent}). */
    static final int[] AGENT_BLOCKED_RGB = {255, 128, 0};

    private final int size;
    private final int cell;
    private final int width;
    private final byte[] image;
    private final byte[][] objectSprites;
    private final byte[] floorSprite;
    private final boolean[][] agentMasks;
    private final byte[] cellBuf;

    RoomPainter(int size, int cell) {
        this.size = size;
        this.cell = cell;
        this.width = size * cell;
        this.image = new byte[3 * width * width];
        this.cellBuf = new byte[3 * cell * cell];
        this.floorSprite = sprite(-1, -1);
        this.objectSprites = new byte[TYPES.size() * COLORS.size()][];
        for (int ty = 0; ty < TYPES.size(); ty++) {
            for (int c = 0; c < COLORS.size(); c++) {
                objectSprites[ty * COLORS.size() + c] = sprite(ty, c);
            }
        }
        this.agentMasks = new boolean[4][];
        for (int d = 0; d < 4; d++) {
            agentMasks[d] = agentMask(d);
        }
    }

    /** The image (CHW, {@code 3 x size*cell x size*cell}); the painter keeps drawing into it. */
    byte[] image() {
        return image;
    }

    /** Image side in pixels. */
    int width() {
        return width;
    }

    /**
     * Redraws cell {@code (cx, cy)}: the object of {@code type} and {@code color} there ({@code type < 0}: floor), and
     * the agent on top facing {@code agentDir} ({@code < 0}: no agent).
     */
    void draw(int cx, int cy, int type, int color, int agentDir) {
        draw(cx, cy, type, color, agentDir, false);
    }

    /** As {@link #draw(int, int, int, int, int)}, the agent in {@link #AGENT_BLOCKED_RGB} if {@code blocked}. */
    void draw(int cx, int cy, int type, int color, int agentDir, boolean blocked) {
        int[] agentRgb = blocked ? AGENT_BLOCKED_RGB : AGENT_RGB;
        byte[] base = type >= 0 ? objectSprites[type * COLORS.size() + color] : floorSprite;
        System.arraycopy(base, 0, cellBuf, 0, cellBuf.length);
        if (agentDir >= 0) {
            boolean[] mask = agentMasks[agentDir];
            int plane = cell * cell;
            for (int p = 0; p < plane; p++) {
                if (mask[p]) {
                    cellBuf[p] = (byte) agentRgb[0];
                    cellBuf[plane + p] = (byte) agentRgb[1];
                    cellBuf[2 * plane + p] = (byte) agentRgb[2];
                }
            }
        }
        int planeSize = width * width;
        for (int ch = 0; ch < 3; ch++) {
            for (int y = 0; y < cell; y++) {
                System.arraycopy(cellBuf, (ch * cell + y) * cell, image,
                        ch * planeSize + (cy * cell + y) * width + cx * cell, cell);
            }
        }
    }

    /** A cell's pixels (CHW): grid lines on its top and left edge, then the object's shape, or the floor. */
    private byte[] sprite(int type, int color) {
        byte[] s = new byte[3 * cell * cell];
        int plane = cell * cell;
        for (int py = 0; py < cell; py++) {
            for (int px = 0; px < cell; px++) {
                int[] rgb;
                if (px == 0 || py == 0) {
                    rgb = GRID_RGB;
                } else if (type >= 0 && inShape(type, u(px), u(py))) {
                    rgb = RGB[color];
                } else {
                    continue;
                }
                for (int ch = 0; ch < 3; ch++) {
                    s[ch * plane + py * cell + px] = (byte) rgb[ch];
                }
            }
        }
        return s;
    }

    /** Pixel centre in [0, 1] across the cell's interior (the part right of and below the grid lines). */
    private double u(int p) {
        return (p - 1 + 0.5) / (cell - 1);
    }

    private static boolean inShape(int type, double u, double v) {
        double du = u - 0.5;
        double dv = v - 0.5;
        return switch (TYPES.get(type)) {
            case "ball" -> du * du + dv * dv <= 0.42 * 0.42;
            case "box" -> Math.max(Math.abs(du), Math.abs(dv)) <= 0.45 && Math.max(Math.abs(du), Math.abs(dv)) >= 0.25;
            default -> (Math.abs(du) <= 0.12 && v >= 0.3) || (v <= 0.35 && Math.abs(du) <= 0.3)
                    || (v >= 0.75 && du >= 0 && du <= 0.35);
        };
    }

    /** A triangle pointing in direction {@code d} (0 right, 1 down, 2 left, 3 up). */
    private boolean[] agentMask(int d) {
        boolean[] m = new boolean[cell * cell];
        for (int py = 1; py < cell; py++) {
            for (int px = 1; px < cell; px++) {
                double u = u(px);
                double v = u(py);
                double along;
                double across;
                switch (d) {
                    case 0 -> { along = u; across = v; }
                    case 1 -> { along = v; across = u; }
                    case 2 -> { along = 1 - u; across = v; }
                    default -> { along = 1 - v; across = u; }
                }
                m[py * cell + px] = along >= 0.1 && Math.abs(across - 0.5) <= 0.45 * (1.0 - along) / 0.9 + 1e-9;
            }
        }
        return m;
    }
}
