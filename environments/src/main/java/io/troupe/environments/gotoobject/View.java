package io.troupe.environments.gotoobject;

import io.troupe.environments.EnvParams;
import java.util.Locale;

/**
 * What the GoToObject family's image shows, the env parameter {@code view}: {@code room} (the default) the whole room
 * as it is, {@code agent} a window of {@code view-cells x view-cells} cells (default {@code 2 size - 1}: the whole room
 * from any cell) translated so that the agent is at its centre (see {@link AgentWindow}).
 */
enum View {
    /** The whole room, {@code size x size} cells: where things are. */
    ROOM,
    /** The room seen from the agent, {@code (2 size - 1)} cells a side: where things are from the agent. */
    AGENT;

    /** The {@code view} parameter, {@code room} if absent; any other value than room or agent is an error naming it. */
    static View read(EnvParams params) {
        return valueOf(params.stringParam("view", "room", "room", "agent").toUpperCase(Locale.ROOT));
    }

    /**
     * The image's side in cells for a room of {@code size} cells: {@code size} in the room view; in the agent view the
     * parameter {@code view-cells}, 1 .. {@code 2 size}, default {@code 2 size - 1} (read only in the agent view: the
     * registry refuses it with the room view, as a key the env never read).
     */
    int cells(EnvParams params, int size) {
        return this == ROOM ? size : params.intParam("view-cells", 2 * size - 1, 1, 2 * size);
    }
}
