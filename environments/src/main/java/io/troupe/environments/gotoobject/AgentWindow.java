package io.troupe.environments.gotoobject;

import java.util.Arrays;

/**
 * The agent-centred image ({@code view = agent}): a window of {@code (2 size - 1) x (2 size - 1)} cells cut from a
 * room image of {@code size x size} cells, translated (not rotated: the actions are absolute moves) so that the agent's
 * cell is the centre one, {@code (size - 1, size - 1)}. Every cell of the room is in the window wherever the agent
 * stands; cells outside the room are drawn as wall: solid {@link #WALL_RGB}, grid lines included, unlike any object
 * (objects are shapes on the black floor; the grey ones are 100, 100, 100). The target's direction from the agent is
 * then where its cell sits in the window, the same for every position of the agent.
 */
final class AgentWindow {
    /** The colour of every pixel of a cell outside the room. */
    static final int[] WALL_RGB = {150, 150, 150};

    private final int size;
    private final int cell;
    private final int roomWidth;
    private final int width;
    private final byte[] image;

    AgentWindow(int size, int cell) {
        this.size = size;
        this.cell = cell;
        this.roomWidth = size * cell;
        this.width = (2 * size - 1) * cell;
        this.image = new byte[3 * width * width];
    }

    /** Image side in pixels: {@code (2 size - 1) * cell}. */
    int width() {
        return width;
    }

    /**
     * Cuts the window centred on cell {@code (agentX, agentY)} from {@code room} (CHW, {@code 3 x size*cell x
     * size*cell}) and returns it (CHW, {@code 3 x width x width}; the same array every call, redrawn).
     */
    byte[] cut(byte[] room, int agentX, int agentY) {
        // the room's left/top edge lies (size - 1 - agent) cells into the window
        int left = (size - 1 - agentX) * cell;
        int top = (size - 1 - agentY) * cell;
        int roomPlane = roomWidth * roomWidth;
        int plane = width * width;
        for (int ch = 0; ch < 3; ch++) {
            byte wall = (byte) WALL_RGB[ch];
            for (int y = 0; y < width; y++) {
                int at = ch * plane + y * width;
                int ry = y - top;
                if (ry < 0 || ry >= roomWidth) {
                    Arrays.fill(image, at, at + width, wall);
                    continue;
                }
                Arrays.fill(image, at, at + left, wall);
                System.arraycopy(room, ch * roomPlane + ry * roomWidth, image, at + left, roomWidth);
                Arrays.fill(image, at + left + roomWidth, at + width, wall);
            }
        }
        return image;
    }
}
