package io.troupe.environments.gotoobject;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.Action;
import io.troupe.core.ByteTensor;
import io.troupe.core.FloatTensor;
import io.troupe.core.IntTensor;
import io.troupe.core.Observation;
import io.troupe.core.StepResult;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Text;
import io.troupe.environments.Env;
import io.troupe.environments.EnvParams;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.check.CheckReport;
import io.troupe.environments.check.EnvChecker;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GoToObjectTest {

    private static int[] rgbAt(ByteTensor image, int x, int y) {
        int h = image.shape()[1];
        int w = image.shape()[2];
        byte[] d = image.data();
        return new int[] {d[y * w + x] & 0xFF, d[h * w + y * w + x] & 0xFF, d[2 * h * w + y * w + x] & 0xFF};
    }

    /** A shortest path: move along x, then y (objects may block; then try the other order). */
    private static int greedyAction(GoToObject env) {
        int[] a = env.agent();
        int[] t = env.target();
        if (a[0] != t[0]) {
            return t[0] > a[0] ? 0 : 2;
        }
        return t[1] > a[1] ? 1 : 3;
    }

    @Test
    void observationHasImageMissionAndState() {
        GoToObject env = new GoToObject();
        Observation obs = env.reset(3);
        assertEquals(Set.of("image", "mission", "state"), obs.tensors().keySet());
        assertEquals(3 * 30 * 30, obs.tensor("image").size());
        Text text = (Text) ((Dict) env.spec().observationSpace()).spaces().get("mission");
        String mission = text.decode(((IntTensor) obs.tensor("mission")).data());
        assertTrue(mission.matches("go to the (red|green|blue|purple|yellow|grey) (ball|box|key)"), mission);
        assertEquals(mission, env.mission());
        float[] state = ((FloatTensor) obs.tensor("state")).data();
        assertEquals(1f, state[0] + state[1] + state[2] + state[3], "direction one-hot");
        assertEquals(0f, state[4], "no time used yet");
        assertEquals(0f, state[5], "no move blocked yet");
        assertEquals(6, state.length);
    }

    /**
     * {@code state[5]} is 1 exactly after a move that left the agent where it was (into a wall or an object), and the
     * direction one-hot is the move's direction either way; checked on random walks over many layouts, which must
     * include free moves, moves into walls and moves into objects.
     */
    @Test
    void stateFlagsABlockedMoveAndClearsItOnTheNextFreeOne() {
        SplittableRandom rng = new SplittableRandom(4);
        int free = 0;
        int intoWall = 0;
        int intoObject = 0;
        for (int seed = 0; seed < 60; seed++) {
            GoToObject env = new GoToObject();
            env.reset(seed);
            for (int step = 0; step < 40; step++) {
                int a = rng.nextInt(4);
                int[] before = env.agent();
                StepResult r = env.step(Action.discrete(a));
                int[] after = env.agent();
                float[] state = ((FloatTensor) r.observation().tensor("state")).data();
                boolean stayed = before[0] == after[0] && before[1] == after[1];
                assertEquals(stayed ? 1f : 0f, state[5], "seed " + seed + " step " + step + " action " + a);
                assertEquals(stayed, env.lastMoveBlocked());
                for (int d = 0; d < 4; d++) {
                    assertEquals(d == a ? 1f : 0f, state[d], "direction one-hot is the move's direction");
                }
                int nx = before[0] + (a == 0 ? 1 : a == 2 ? -1 : 0);
                int ny = before[1] + (a == 1 ? 1 : a == 3 ? -1 : 0);
                boolean outside = nx < 0 || ny < 0 || nx >= env.size() || ny >= env.size();
                if (!stayed) {
                    free++;
                } else if (outside) {
                    intoWall++;
                } else {
                    intoObject++;
                }
                if (r.done()) {
                    break;
                }
            }
        }
        assertTrue(free > 100 && intoWall > 20 && intoObject > 5,
                "free " + free + ", into a wall " + intoWall + ", into an object " + intoObject);
    }

    /** Moves along a shortest path that goes around the distractors (breadth-first from the target); -1 if none. */
    private static int shortestPathAction(GoToObject env) {
        int n = env.size();
        int[] t = env.target();
        int[] dist = new int[n * n];
        Arrays.fill(dist, -1);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        dist[t[1] * n + t[0]] = 0;
        queue.add(t[1] * n + t[0]);
        int[] dx = {1, 0, -1, 0};
        int[] dy = {0, 1, 0, -1};
        while (!queue.isEmpty()) {
            int c = queue.poll();
            for (int d = 0; d < 4; d++) {
                int x = c % n + dx[d];
                int y = c / n + dy[d];
                if (x >= 0 && y >= 0 && x < n && y < n && dist[y * n + x] < 0 && env.objectAt(x, y) < 0) {
                    dist[y * n + x] = dist[c] + 1;
                    queue.add(y * n + x);
                }
            }
        }
        int[] a = env.agent();
        for (int d = 0; d < 4; d++) {
            int x = a[0] + dx[d];
            int y = a[1] + dy[d];
            if (x >= 0 && y >= 0 && x < n && y < n && dist[y * n + x] >= 0
                    && dist[y * n + x] < dist[a[1] * n + a[0]]) {
                return d;
            }
        }
        return -1;
    }

    @Test
    void aShortestPathOracleSucceedsUnlessTwoDistractorsWallInTheTargetOrTheAgent() {
        // the ceiling a policy's success is measured against, over eval's 1,000 first seeds: every layout whose target
        // can be reached around the distractors is reached well within the 40-step limit; the rest (a corner cell
        // shut off by the two distractors on its neighbours) cannot be by any policy
        int successes = 0;
        int walledIn = 0;
        int longest = 0;
        for (long seed = 12345; seed < 12345 + 1000; seed++) {
            GoToObject env = new GoToObject();
            env.reset(seed);
            assertEquals(0, env.objectAt(env.target()[0], env.target()[1]));
            assertEquals(-1, env.objectAt(env.agent()[0], env.agent()[1]));
            int steps = 0;
            StepResult r = null;
            int action = shortestPathAction(env);
            if (action < 0) {
                walledIn++;
                continue;
            }
            do {
                r = env.step(Action.discrete(shortestPathAction(env)));
                steps++;
            } while (!r.done());
            successes += r.terminated() ? 1 : 0;
            longest = Math.max(longest, steps);
        }
        assertEquals(1000 - walledIn, successes);
        assertTrue(walledIn <= 10, walledIn + " of 1,000 layouts walled in: the ceiling stays >= 0.99");
        assertTrue(longest <= 12, "longest shortest path " + longest);
        System.out.printf("shortest-path oracle: %d of 1000 episodes (%d walled in), longest path %d%n", successes,
                walledIn, longest);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GoToObject().objectAt(5, 0));
        assertTrue(e.getMessage().contains("(5, 0)") && e.getMessage().contains("5 x 5"), e.getMessage());
    }

    @Test
    void pushingIntoADistractorStaysFlaggedUntilAMoveSucceeds() {
        for (long seed = 0; seed < 200; seed++) {
            GoToObject env = new GoToObject();
            env.reset(seed);
            int[] a = env.agent();
            int[] t = env.target();
            if (a[0] + 1 >= env.size() || (t[0] == a[0] + 1 && t[1] == a[1])) {
                continue; // a wall or the target to the right
            }
            StepResult r = env.step(Action.discrete(0));
            if (env.agent()[0] != a[0]) {
                continue; // the cell to the right was free
            }
            for (int push = 0; push < 3; push++) { // a distractor to the right: every push is blocked and flagged
                assertEquals(1f, ((FloatTensor) r.observation().tensor("state")).data()[5], "seed " + seed);
                assertEquals(a[0], env.agent()[0]);
                assertEquals(a[1], env.agent()[1]);
                r = env.step(Action.discrete(0));
            }
            for (int other : new int[] {1, 2, 3}) {
                r = env.step(Action.discrete(other));
                if (env.agent()[0] != a[0] || env.agent()[1] != a[1]) {
                    assertEquals(0f, ((FloatTensor) r.observation().tensor("state")).data()[5], "moved: flag cleared");
                    assertFalse(env.lastMoveBlocked());
                    return;
                }
            }
            throw new AssertionError("seed " + seed + ": the agent could not move anywhere");
        }
        throw new AssertionError("no layout with a distractor right of the agent in 200 seeds");
    }

    @Test
    void distractorsForceReadingBothModalities() {
        for (int seed = 0; seed < 50; seed++) {
            GoToObject env = new GoToObject();
            env.reset(seed);
            String[] words = env.mission().split(" ");
            String target = words[3] + " " + words[4];
            List<String> objects = env.objects();
            assertEquals(target, objects.get(0));
            assertEquals(3, new HashSet<>(objects).size(), "distinct objects " + objects);
            assertTrue(objects.stream().skip(1).anyMatch(o -> o.startsWith(words[3] + " ")),
                    "seed " + seed + ": a distractor with the target's colour in " + objects);
            assertTrue(objects.stream().skip(1).anyMatch(o -> o.endsWith(" " + words[4])),
                    "seed " + seed + ": a distractor of the target's type in " + objects);
            // and the image shows the target's colour in at least two cells
            ByteTensor img = env.renderRgb();
            int[] t = env.target();
            int[] rgb = objectColor(img, t[0], t[1]);
            int cells = 0;
            for (int y = 0; y < env.size(); y++) {
                for (int x = 0; x < env.size(); x++) {
                    cells += hasColor(img, x, y, rgb) ? 1 : 0;
                }
            }
            assertTrue(cells >= 2, "seed " + seed + ": target colour drawn in " + cells + " cells");
        }
    }

    /**
     * What the harder levels fix: with its default 3 objects, GoToObject-v0's image alone names the target (the one
     * object that shares its colour with another and its type with the third), so a policy that never reads the mission
     * can succeed; GoToRoom draws every colour x type combination instead.
     */
    @Test
    void theImageAloneNamesTheTargetOfTheDefaultLevel() {
        for (int seed = 0; seed < 200; seed++) {
            GoToObject env = new GoToObject();
            env.reset(seed);
            List<String> shuffled = new ArrayList<>(env.objects());
            Collections.shuffle(shuffled, new Random(seed));
            List<String> named = shuffled.stream().filter(o -> shuffled.stream().anyMatch(p -> !p.equals(o)
                    && p.split(" ")[0].equals(o.split(" ")[0])) && shuffled.stream().anyMatch(p -> !p.equals(o)
                    && p.split(" ")[1].equals(o.split(" ")[1]))).toList();
            assertEquals(List.of(env.objects().get(0)), named, "seed " + seed + ": " + env.mission());
        }
    }

    /** The first non-black, non-grid, non-white colour in a cell's interior. */
    private static int[] objectColor(ByteTensor img, int cx, int cy) {
        for (int y = 1; y < 6; y++) {
            for (int x = 1; x < 6; x++) {
                int[] c = rgbAt(img, cx * 6 + x, cy * 6 + y);
                if (!Arrays.equals(c, new int[3]) && !Arrays.equals(c, new int[] {255, 255, 255})) {
                    return c;
                }
            }
        }
        throw new AssertionError("no object drawn at " + cx + "," + cy);
    }

    private static boolean hasColor(ByteTensor img, int cx, int cy, int[] rgb) {
        for (int y = 1; y < 6; y++) {
            for (int x = 1; x < 6; x++) {
                if (Arrays.equals(rgbAt(img, cx * 6 + x, cy * 6 + y), rgb)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void reachingTheTargetTerminatesWithMiniGridReward() {
        int successes = 0;
        for (int seed = 0; seed < 30; seed++) {
            GoToObject env = new GoToObject();
            env.reset(seed);
            StepResult r = null;
            int t = 0;
            int guard = 0;
            while (guard++ < 40) {
                int a = greedyAction(env);
                int[] before = env.agent();
                r = env.step(Action.discrete(a));
                t++;
                if (r.done()) {
                    break;
                }
                int[] after = env.agent();
                if (before[0] == after[0] && before[1] == after[1]) {
                    break; // blocked by a distractor: greedy path fails for this layout
                }
            }
            if (r != null && r.terminated()) {
                successes++;
                assertEquals(1.0 - 0.9 * t / 40.0, r.reward(), 1e-12);
                assertEquals(Boolean.TRUE, r.info().get(StepResult.SUCCESS));
                assertEquals(0, env.distanceToTarget());
                assertFalse(r.truncated());
            }
        }
        assertTrue(successes >= 15, "greedy walker reached the target in " + successes + " of 30 layouts");
    }

    @Test
    void timeoutTruncatesWithZeroRewardAndNoSuccess() {
        GoToObject env = new GoToObject(new EnvParams("GoToObject-v0", ConfigFactory.parseMap(Map.of("max-steps", 6))));
        long seed = 0;
        do { // a layout whose target is not in the agent's row: moving left and right never reaches it
            env.reset(++seed);
        } while (env.target()[1] == env.agent()[1]);
        StepResult r = null;
        for (int t = 1; t <= 6; t++) {
            r = env.step(Action.discrete(t % 2 == 0 ? 0 : 2));
            assertEquals(t == 6, r.done(), "episode ends exactly at max-steps");
        }
        assertTrue(r.truncated());
        assertFalse(r.terminated());
        assertEquals(0.0, r.reward());
        assertEquals(Boolean.FALSE, r.info().get(StepResult.SUCCESS));
        assertEquals(1f, ((FloatTensor) r.observation().tensor("state")).data()[4]);
        assertThrows(IllegalStateException.class, () -> env.step(Action.discrete(0)));
    }

    @Test
    void wallsBlockAndDirectionFollowsTheMove() {
        GoToObject env = new GoToObject();
        env.reset(5);
        for (int i = 0; i < 6; i++) {
            StepResult r = env.step(Action.discrete(3)); // up, into the wall eventually
            if (r.done()) {
                return;
            }
        }
        int[] a = env.agent();
        assertTrue(a[1] == 0 || blockedAbove(env), "agent at the top wall or blocked, got y=" + a[1]);
        assertEquals(3, a[2]);
    }

    private static boolean blockedAbove(GoToObject env) {
        int[] before = env.agent();
        env.step(Action.discrete(3));
        int[] after = env.agent();
        return before[1] == after[1];
    }

    @Test
    void imageShowsTheAgentAndChangesWhenItMoves() {
        GoToObject env = new GoToObject();
        env.reset(8);
        int[] a = env.agent();
        ByteTensor before = env.renderRgb();
        assertEquals(255, rgbAt(before, a[0] * 6 + 3, a[1] * 6 + 3)[0], "agent is drawn white at its cell");
        int action = a[0] > 0 ? 2 : 0;
        env.step(Action.discrete(action));
        assertNotEquals(before, env.renderRgb());
    }

    @Test
    void layoutsAndMissionsDependOnTheSeed() {
        Set<String> missions = new HashSet<>();
        Set<ByteTensor> images = new HashSet<>();
        for (int seed = 0; seed < 40; seed++) {
            GoToObject env = new GoToObject();
            env.reset(seed);
            missions.add(env.mission());
            images.add(env.renderRgb());
        }
        assertTrue(missions.size() > 10, "missions vary: " + missions.size());
        assertEquals(40, images.size(), "layouts vary");
    }

    @Test
    void badParametersNameTheKey() {
        EnvRegistry registry = EnvRegistry.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.make("GoToObject-v0",
                ConfigFactory.parseString("params.size = 100")));
        assertTrue(e.getMessage().contains("'size'") && e.getMessage().contains("4..12"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> registry.make("GoToObject-v0",
                ConfigFactory.parseString("params.sise = 6")));
        assertTrue(e.getMessage().contains("sise") && e.getMessage().contains("size"), e.getMessage());
    }

    @Test
    void largerRoomsScaleTheImage() {
        EnvRegistry registry = EnvRegistry.defaults();
        var env = registry.make("GoToObject-v0", ConfigFactory.parseString("params { size = 8, num-objects = 5 }"));
        Observation obs = env.reset(1);
        assertEquals(3 * 48 * 48, obs.tensor("image").size());
        assertEquals(64, env.spec().maxEpisodeSteps().getAsInt());
    }

    // ---------------------------------------------------------------- view = agent

    private static GoToObject agentView(String params) {
        return new GoToObject(new EnvParams("GoToObject-v0", ConfigFactory.parseString("view = agent\n" + params)));
    }

    /** Cell {@code (cx, cy)}'s pixels (CHW) of a 6-pixel-cell image. */
    private static int[] cellPixels(ByteTensor image, int cx, int cy) {
        int[] out = new int[3 * 6 * 6];
        int i = 0;
        for (int ch = 0; ch < 3; ch++) {
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 6; x++) {
                    out[i++] = rgbAt(image, cx * 6 + x, cy * 6 + y)[ch];
                }
            }
        }
        return out;
    }

    /**
     * {@code view = agent}: the image is the room translated so that the agent's cell is the centre of a 9 x 9 window
     * (the default {@code view-cells = 2 size - 1}), each room cell drawn exactly as the room view draws it, every other
     * cell solid wall; checked along random walks (the agent on every cell of the room, so every translation) against a
     * room-view env on the same seed, except that after a blocked move the agent is orange rather than white (the image
     * alone says which move was blocked). The same for smaller windows, which cut off the far cells, and for an even
     * one (the agent left of and above the middle).
     */
    @Test
    void theAgentViewCentresTheAgentAndDrawsTheRestAsWall() {
        int[] wall = new int[3 * 6 * 6];
        for (int ch = 0; ch < 3; ch++) {
            Arrays.fill(wall, ch * 36, (ch + 1) * 36, AgentWindow.WALL_RGB[ch]);
        }
        for (int cells : new int[] {9, 10, 7, 3}) {
            SplittableRandom rng = new SplittableRandom(7);
            int centre = (cells - 1) / 2;
            Set<String> agentCells = new HashSet<>();
            int blockedSeen = 0;
            for (int seed = 0; seed < 30; seed++) {
                GoToObject room = new GoToObject();
                GoToObject ego = agentView(cells == 9 ? "" : "view-cells = " + cells);
                Observation roomObs = room.reset(seed);
                Observation egoObs = ego.reset(seed);
                for (int step = 0; step < 40; step++) {
                    ByteTensor roomImage = (ByteTensor) roomObs.tensor("image");
                    ByteTensor egoImage = (ByteTensor) egoObs.tensor("image");
                    assertArrayEquals(new int[] {3, 6 * cells, 6 * cells}, egoImage.shape());
                    int[] a = ego.agent();
                    agentCells.add(a[0] + "," + a[1]);
                    for (int wy = 0; wy < cells; wy++) {
                        for (int wx = 0; wx < cells; wx++) {
                            int rx = a[0] - centre + wx;
                            int ry = a[1] - centre + wy;
                            boolean inside = rx >= 0 && ry >= 0 && rx < 5 && ry < 5;
                            int[] expected = !inside ? wall : rx == a[0] && ry == a[1] && ego.lastMoveBlocked()
                                    ? blockedAgent(cellPixels(roomImage, rx, ry)) : cellPixels(roomImage, rx, ry);
                            assertArrayEquals(expected, cellPixels(egoImage, wx, wy), cells + " cells, seed " + seed
                                    + " step " + step
                                            + ": window cell (" + wx + ", " + wy + "), agent at (" + a[0] + ", " + a[1]
                                            + ")");
                        }
                    }
                    assertEquals(255, rgbAt(egoImage, centre * 6 + 3, centre * 6 + 3)[0], "the agent at the centre");
                    blockedSeen += ego.lastMoveBlocked() ? 1 : 0;
                    assertEquals(255, rgbAt(roomImage, a[0] * 6 + 3, a[1] * 6 + 3)[2], "the room view's agent is white");
                    assertEquals(egoImage, ego.renderRgb(), "render shows what the agent sees");
                    int action = rng.nextInt(4);
                    StepResult r = room.step(Action.discrete(action));
                    StepResult e = ego.step(Action.discrete(action));
                    if (r.done()) {
                        break;
                    }
                    roomObs = r.observation();
                    egoObs = e.observation();
                }
            }
            assertEquals(25, agentCells.size(), "the agent stood on every cell: " + agentCells);
            assertTrue(blockedSeen > 20, "blocked moves seen: " + blockedSeen);
        }
    }

    /** A cell's pixels with the agent's white drawn in the blocked colour (the room view never draws it so). */
    private static int[] blockedAgent(int[] cell) {
        int[] out = cell.clone();
        for (int p = 0; p < 36; p++) {
            if (cell[p] == 255 && cell[36 + p] == 255 && cell[72 + p] == 255) {
                for (int ch = 0; ch < 3; ch++) {
                    out[ch * 36 + p] = RoomPainter.AGENT_BLOCKED_RGB[ch];
                }
            }
        }
        return out;
    }

    /**
     * The view changes the image only: on the same seeds and actions (a shortest-path oracle's) the two views give the
     * same missions, states, rewards and ends, the oracle's success included; and the target's cell in the window is
     * the centre plus its offset from the agent.
     */
    @Test
    void theAgentViewChangesOnlyTheImage() {
        int successes = 0;
        for (long seed = 12345; seed < 12345 + 200; seed++) {
            GoToObject room = new GoToObject();
            GoToObject ego = agentView("");
            Observation roomObs = room.reset(seed);
            Observation egoObs = ego.reset(seed);
            StepResult r = null;
            for (int step = 0; step < 40; step++) {
                assertEquals(roomObs.tensor("mission"), egoObs.tensor("mission"));
                assertEquals(roomObs.tensor("state"), egoObs.tensor("state"));
                int[] a = ego.agent();
                int[] t = ego.target();
                int[] target = objectColor((ByteTensor) egoObs.tensor("image"), 4 + t[0] - a[0], 4 + t[1] - a[1]);
                assertArrayEquals(objectColor((ByteTensor) roomObs.tensor("image"), t[0], t[1]), target);
                int action = shortestPathAction(room);
                if (action < 0) {
                    break; // walled in
                }
                r = room.step(Action.discrete(action));
                StepResult e = ego.step(Action.discrete(action));
                assertEquals(r.reward(), e.reward());
                assertEquals(r.terminated(), e.terminated());
                assertEquals(r.truncated(), e.truncated());
                if (r.done()) {
                    successes += r.terminated() ? 1 : 0;
                    break;
                }
                roomObs = r.observation();
                egoObs = e.observation();
            }
        }
        assertTrue(successes >= 198, "the oracle succeeds in the agent view too: " + successes + " of 200");
    }

    @Test
    void theAgentViewsSpecHasTheWindowsShapeAndObservationsFitIt() {
        EnvRegistry registry = EnvRegistry.defaults();
        for (int size : new int[] {4, 5, 8}) {
            var env = registry.make("GoToObject-v0",
                    ConfigFactory.parseString("params { view = agent, size = " + size + " }"));
            int side = (2 * size - 1) * 6;
            Box image = (Box) ((Dict) env.spec().observationSpace()).spaces().get("image");
            assertArrayEquals(new int[] {3, side, side}, image.shape(), "size " + size);
            Observation obs = env.reset(1);
            assertEquals(Optional.empty(), env.spec().observationSpace().observationViolation(obs), "size " + size);
            assertEquals(3 * side * side, obs.tensor("image").size());
        }
        var room = registry.make("GoToObject-v0", ConfigFactory.parseString("params { view = room }"));
        assertEquals(new GoToObject().spec().observationSpace().describe(), room.spec().observationSpace().describe(),
                "view = room is the default");
    }

    @Test
    void theAgentViewIsDeterministic() {
        for (long seed = 0; seed < 5; seed++) {
            GoToObject a = agentView("");
            GoToObject b = agentView("");
            assertEquals(a.reset(seed), b.reset(seed));
            SplittableRandom rng = new SplittableRandom(seed);
            for (int step = 0; step < 40; step++) {
                int action = rng.nextInt(4);
                StepResult ra = a.step(Action.discrete(action));
                StepResult rb = b.step(Action.discrete(action));
                assertEquals(ra.observation(), rb.observation(), "seed " + seed + " step " + step);
                if (ra.done()) {
                    break;
                }
            }
        }
    }

    @Test
    void aBadViewNamesTheParameterAndTheChoices() {
        EnvRegistry registry = EnvRegistry.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.make("GoToObject-v0",
                ConfigFactory.parseString("params.view = ego")));
        assertTrue(e.getMessage().contains("'view'") && e.getMessage().contains("room, agent")
                && e.getMessage().contains("ego"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> registry.make("GoToObject-v0",
                ConfigFactory.parseString("params { view = agent, view-cells = 11 }")));
        assertTrue(e.getMessage().contains("'view-cells'") && e.getMessage().contains("1..10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> registry.make("GoToObject-v0",
                ConfigFactory.parseString("params { view-cells = 7 }")));
        assertTrue(e.getMessage().contains("view-cells"), "the room view never reads view-cells: " + e.getMessage());
    }

    @Test
    void theAgentViewPassesTheEnvChecker() {
        CheckReport report = EnvChecker.check(() -> agentView(""));
        assertTrue(report.passed(), report.format());
    }

    /**
     * conf/gotoobject-agent.conf trains on the agent view (set on the registration), which its env-overrides can turn
     * back to the room view, and the default job, conf/gotoobject.conf, on the room view; gotoobject-hard.conf keeps its
     * own level's room view, gotoobject-hard-agent.conf turns that level's agent view on, and gotoobject-large.conf
     * keeps GoToObject-v0's room view.
     */
    @Test
    void theAgentViewJobConfigTrainsOnTheAgentViewAndTheDefaultJobOnTheRoom() {
        EnvRegistry agent = registryOf("gotoobject-agent.conf");
        assertArrayEquals(new int[] {3, 54, 54}, imageShape(agent.make("GoToObject-v0")));
        assertArrayEquals(new int[] {3, 30, 30}, imageShape(agent.make("GoToObject-v0",
                ConfigFactory.parseString("params.view = room"))));
        assertArrayEquals(new int[] {3, 30, 30}, imageShape(registryOf("gotoobject.conf").make("GoToObject-v0")));
        assertArrayEquals(new int[] {3, 48, 48}, imageShape(registryOf("gotoobject-hard.conf")
                .make("GoToObject-Hard-v0")));
        // the Hard level's agent view: a 16 x 16-cell window of 6-pixel cells
        assertArrayEquals(new int[] {3, 96, 96}, imageShape(registryOf("gotoobject-hard-agent.conf")
                .make("GoToObject-Hard-v0")));
        assertArrayEquals(new int[] {3, 30, 30}, imageShape(registryOf("gotoobject-large.conf").make("GoToObject-v0")));
    }

    private static EnvRegistry registryOf(String confFile) {
        Path conf = Path.of("..", "conf", confFile);
        return EnvRegistry.fromConfig(ConfigFactory.parseFile(conf.toFile()).withFallback(ConfigFactory.load())
                .resolve());
    }

    private static int[] imageShape(Env env) {
        return ((Box) ((Dict) env.spec().observationSpace()).spaces().get("image")).shape();
    }
}
