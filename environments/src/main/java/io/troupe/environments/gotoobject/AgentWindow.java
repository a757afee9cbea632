package io.troupe.environments.gotoobject;

import java.util.Arrays;

/**
 * The agent-centred image ({@code view = agent}): a window of {@code cells x cells} cut from a room image of {@code size
 * x size} cells, translated (not rotated: the actions are absolute moves) so that the agent's cell is the window's
 * centre cell {@code ((cells - 1) / 2, (cells - 1) / 2)} (rounded down when {@code cells} is even). With the default
 * {@code cells = 2 size - 1} every cell of the room is in the window wherever the agent stands; a smaller window shows
 * only the cells within {@code (cells - 1) / 2} of the agent. Cells outside the room are drawn as wall: solid
 * {@link #WALL_RGB}, grid lines included, unlike any object (objects are shapes on the black floor; the grey ones are
 * 100, 100, 100). The target's direction from the agent is then where its cell sits in the window, the same for every
 * position of the agent.
 */
final class AgentWindow {
    /** The colour of every pixel of a cell outside the room. */
    static final int[] WALL_RGB = {150, 150, 150};

    private final int cell;
    private final int centre;
    private final int roomWidth;
    private final int width;
    private final byte[] image;

    AgentWindow(int size, int cells, int cell) {
        this.cell = cell;
        this.centre = (cells - 1) / 2;
        this.roomWidth = size * cell;
        this.width = cells * cell;
        this.image = new byte[3 * width * width];
    }

    /** Image side in pixels: {@code cells * cell}. */
    int width() {
        return width;
    }

    /**
     * Cuts the window centred on cell {@code (agentX, agentY)} from {@code room} (CHW, {@code 3 x size*cell x
     * size*cell}) and returns it (CHW, {@code 3 x width x width}; the same array every call, redrawn).
     */
    byte[] cut(byte[] room, int agentX, int agentY) {
        // the room's left/top edge lies (centre - agent) cells into the window (negative: left of or above it)
        int left = (centre - agentX) * cell;
        int top = (centre - agentY) * cell;
        int x0 = Math.max(0, left);
        int x1 = Math.min(width, left + roomWidth);
        int roomPlane = roomWidth * roomWidth;
        int plane = width * width;
        for (int ch = 0; ch < 3; ch++) {
            byte wall = (byte) WALL_RGB[ch];
            for (int y = 0; y < width; y++) {
                int at = ch * plane + y * width;
                int ry = y - top;
                if (ry < 0 || ry >= roomWidth || x1 <= x0) {
                    Arrays.fill(image, at, at + width, wall);
                    continue;
                }
                Arrays.fill(image, at, at + x0, wall);
                System.arraycopy(room, ch * roomPlane + ry * roomWidth + (x0 - left), image, at + x0, x1 - x0);
                Arrays.fill(image, at + x1, at + width, wall);
            }
        }
        return image;
    }
}
