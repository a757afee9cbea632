package io.troupe.environments.gotoobject;

/**
 * What the GoToObject family shares about its agent: the state vector's first elements (facing direction one-hot,
 * elapsed fraction of the time limit, whether the last move was blocked) and MiniGrid's success reward.
 */
final class AgentState {
    /** The elements {@link #write} fills; a level may append its own after them. */
    static final int SHARED_SIZE = 6;

    private AgentState() {
    }

    /** Writes the shared elements at {@code s[base .. base + SHARED_SIZE)}. */
    static void write(float[] s, int base, int dir, int t, int maxSteps, boolean blocked) {
        for (int d = 0; d < 4; d++) {
            s[base + d] = d == dir ? 1f : 0f;
        }
        s[base + 4] = Math.min(1f, (float) t / maxSteps);
        s[base + 5] = blocked ? 1f : 0f;
    }

    /** MiniGrid's reward for success at step {@code t}: 1 - 0.9 t / max-steps. */
    static double successReward(int t, int maxSteps) {
        return 1.0 - 0.9 * ((double) t / maxSteps);
    }
}
