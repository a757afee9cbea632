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
import io.troupe.environments.Env;
import io.troupe.environments.EnvParams;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.check.EnvChecker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GoToRoomTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();
    private static final int[] DX = {1, 0, -1, 0};
    private static final int[] DY = {0, 1, 0, -1};

    private static GoToRoom make(String id) {
        Env env = REGISTRY.make(id);
        return (GoToRoom) (env instanceof EnvWrapper w ? w.unwrapped() : env);
    }

    static List<String> goalsOf(GoToRoom env) {
        String[] w = env.mission().split(" ");
        List<String> goals = new ArrayList<>(List.of(w[3] + " " + w[4]));
        if (w.length > 5) {
            assertEquals("then the", w[5] + " " + w[6], env.mission());
            goals.add(w[7] + " " + w[8]);
        }
        return goals;
    }

    private static int[] cellOf(GoToRoom env, String object) {
        for (int y = 0; y < env.size(); y++) {
            for (int x = 0; x < env.size(); x++) {
                if (object.equals(env.objectAt(x, y))) {
                    return new int[] {x, y};
                }
            }
        }
        throw new AssertionError(object + " is not in the room " + env.objects());
    }

    /**
     * The first move of a shortest path from the agent onto {@code goal}'s cell through floor and {@code passable}'s
     * cell (null: none), or -1 if there is none: the test's own search, independent of the env's.
     */
    private static int firstMove(GoToRoom env, int[] goal, String passable) {
        int n = env.size();
        int[] a = env.agent();
        int[] firstDir = new int[n * n];
        Arrays.fill(firstDir, -2);
        ArrayDeque<int[]> queue = new ArrayDeque<>();
        firstDir[a[1] * n + a[0]] = -1;
        queue.add(new int[] {a[0], a[1]});
        while (!queue.isEmpty()) {
            int[] c = queue.poll();
            for (int d = 0; d < 4; d++) {
                int x = c[0] + DX[d];
                int y = c[1] + DY[d];
                if (x < 0 || y < 0 || x >= n || y >= n || firstDir[y * n + x] != -2) {
                    continue;
                }
                int dirFromStart = firstDir[c[1] * n + c[0]] == -1 ? d : firstDir[c[1] * n + c[0]];
                if (x == goal[0] && y == goal[1]) {
                    return dirFromStart;
                }
                String o = env.objectAt(x, y);
                if (o == null || o.equals(passable)) {
                    firstDir[y * n + x] = dirFromStart;
                    queue.add(new int[] {x, y});
                }
            }
        }
        return -1;
    }

    /** Walks shortest paths to {@code targets} in order; the last step's result. */
    static StepResult walk(GoToRoom env, List<String> targets) {
        StepResult r = null;
        String passable = null;
        for (String target : targets) {
            int[] cell = cellOf(env, target);
            while (!(env.agent()[0] == cell[0] && env.agent()[1] == cell[1])) {
                int move = firstMove(env, cell, passable);
                if (move < 0) {
                    return null;
                }
                r = env.step(Action.discrete(move));
                if (r.done()) {
                    return r;
                }
            }
            passable = target;
        }
        return r;
    }

    @Test
    void hardLevelHasEveryColourTypeCombinationAndAMissionNamingOne() {
        GoToRoom env = make(GoToRoom.HARD_ID);
        Observation obs = env.reset(3);
        assertEquals(Set.of("image", "mission", "state"), obs.tensors().keySet());
        assertEquals(List.of(3, 48, 48), Arrays.stream(obs.tensor("image").shape()).boxed().toList());
        assertEquals(7, obs.tensor("state").size());
        assertEquals(64, env.spec().maxEpisodeSteps().getAsInt());
        for (int seed = 0; seed < 50; seed++) {
            env.reset(seed);
            List<String> objects = env.objects();
            assertEquals(12, new HashSet<>(objects).size(), objects.toString());
            Set<String> colours = new HashSet<>();
            Set<String> types = new HashSet<>();
            objects.forEach(o -> {
                colours.add(o.split(" ")[0]);
                types.add(o.split(" ")[1]);
            });
            assertEquals(4, colours.size());
            assertEquals(3, types.size());
            assertTrue(env.mission().matches("go to the [a-z]+ (ball|box|key)"), env.mission());
            assertTrue(objects.contains(goalsOf(env).get(0)), env.mission() + " in " + objects);
        }
    }

    @Test
    void sameSeedSameEpisodeOtherSeedsOtherLayouts() {
        for (String id : List.of(GoToRoom.HARD_ID, GoToRoom.SEQ_ID)) {
            GoToRoom a = make(id);
            GoToRoom b = make(id);
            Set<String> missions = new HashSet<>();
            Set<String> layouts = new HashSet<>();
            for (int seed = 0; seed < 30; seed++) {
                Observation oa = a.reset(seed);
                Observation ob = b.reset(seed);
                assertEquals(oa, ob, id + " seed " + seed);
                SplittableRandom actions = new SplittableRandom(seed);
                for (int step = 0; step < 20; step++) {
                    Action act = Action.discrete(actions.nextInt(4));
                    StepResult ra = a.step(act);
                    StepResult rb = b.step(act);
                    assertEquals(ra.observation(), rb.observation());
                    assertEquals(ra.reward(), rb.reward());
                    assertEquals(ra.done(), rb.done());
                    if (ra.done()) {
                        break;
                    }
                }
                missions.add(a.mission());
                a.reset(seed);
                layouts.add(a.objects() + " " + Arrays.toString(a.agent()) + " " + Arrays.toString(a.target()));
            }
            assertTrue(missions.size() > 10, id + ": missions vary, " + missions.size());
            assertEquals(30, layouts.size(), id + ": layouts vary");
        }
    }

    @Test
    void reachingTheGoalSucceedsWithMiniGridRewardOnEveryLayout() {
        for (String id : List.of(GoToRoom.HARD_ID, GoToRoom.SEQ_ID)) {
            GoToRoom env = make(id);
            int maxSteps = env.spec().maxEpisodeSteps().getAsInt();
            for (int seed = 0; seed < 300; seed++) {
                env.reset(seed);
                List<String> goals = goalsOf(env);
                StepResult r = walk(env, goals);
                assertTrue(r != null && r.terminated(), id + " seed " + seed + ": the goals are reachable in order");
                assertEquals(Boolean.TRUE, r.info().get(StepResult.SUCCESS), id + " seed " + seed);
                int t = Math.round(((FloatTensor) r.observation().tensor("state")).data()[4] * maxSteps);
                assertEquals(1.0 - 0.9 * t / maxSteps, r.reward(), 1e-6);
                assertEquals(goals.size(), env.reached());
            }
        }
    }

    @Test
    void touchingAnotherObjectEndsTheEpisodeAsAFailure() {
        int checked = 0;
        GoToRoom env = make(GoToRoom.HARD_ID);
        for (int seed = 0; seed < 200 && checked < 20; seed++) {
            env.reset(seed);
            String goal = goalsOf(env).get(0);
            for (String other : env.objects()) {
                if (other.equals(goal)) {
                    continue;
                }
                int[] cell = cellOf(env, other);
                int move = firstMove(env, cell, null);
                if (move < 0) {
                    continue;
                }
                env.reset(seed);
                StepResult r = walk(env, List.of(other));
                assertTrue(r.terminated() && !r.truncated(), "seed " + seed);
                assertEquals(0.0, r.reward());
                assertEquals(Boolean.FALSE, r.info().get(StepResult.SUCCESS));
                int[] a = env.agent();
                assertFalse(a[0] == cell[0] && a[1] == cell[1], "the agent stays off the wrong object");
                assertThrows(IllegalStateException.class, () -> env.step(Action.discrete(0)));
                checked++;
                break;
            }
        }
        assertEquals(20, checked);
    }

    @Test
    void sequenceSucceedsOnlyInOrderAndStateCountsTheGoalsReached() {
        GoToRoom env = make(GoToRoom.SEQ_ID);
        int inOrder = 0;
        int reversed = 0;
        for (int seed = 0; seed < 100; seed++) {
            env.reset(seed);
            List<String> goals = goalsOf(env);
            assertNotEquals(goals.get(0), goals.get(1));
            // the first goal reached: the state says half, the episode goes on, the agent stands on it
            StepResult r = walk(env, goals.subList(0, 1));
            assertFalse(r.done(), "seed " + seed + ": reaching the first goal does not end the episode");
            assertEquals(0.5f, ((FloatTensor) r.observation().tensor("state")).data()[6]);
            assertEquals(0.0, r.reward());
            assertEquals(1, env.reached());
            int[] first = cellOf(env, goals.get(0));
            assertTrue(env.agent()[0] == first[0] && env.agent()[1] == first[1]);
            r = walk(env, goals.subList(1, 2));
            if (r != null) { // from the first goal straight to the second, crossing the first again if need be
                assertTrue(r.terminated());
                assertEquals(Boolean.TRUE, r.info().get(StepResult.SUCCESS));
                inOrder++;
            }
            // the second goal first: a failure
            env.reset(seed);
            if (firstMove(env, cellOf(env, goals.get(1)), null) >= 0) {
                r = walk(env, goals.subList(1, 2));
                assertTrue(r.terminated(), "seed " + seed);
                assertEquals(Boolean.FALSE, r.info().get(StepResult.SUCCESS));
                assertEquals(0.0, r.reward());
                assertEquals(0, env.reached());
                reversed++;
            }
        }
        assertTrue(inOrder > 90 && reversed > 50, "in order " + inOrder + ", reversed " + reversed);
    }

    /**
     * The probe's labels against the env's own dynamics: after a random walk, every move is tried on a second env
     * replaying the same seed and walk; a move is in the mask exactly when it neither fails the episode nor leaves the
     * agent where it was, and brings the agent closer to the goal (the {@code distance} feature drops).
     */
    @Test
    void progressMovesAreTheMovesThatGetCloserWithoutFailing() {
        for (String id : List.of(GoToRoom.HARD_ID, GoToRoom.SEQ_ID)) {
            GoToRoom env = make(id);
            GoToRoom replay = make(id);
            SplittableRandom rng = new SplittableRandom(5);
            int labelled = 0;
            for (int seed = 0; seed < 300; seed++) {
                env.reset(seed);
                List<Integer> walk = new ArrayList<>();
                for (int w = rng.nextInt(8); w > 0; w--) {
                    int a = rng.nextInt(4);
                    int x = env.agent()[0] + DX[a];
                    int y = env.agent()[1] + DY[a];
                    if (x >= 0 && y >= 0 && x < env.size() && y < env.size() && env.objectAt(x, y) == null) {
                        env.step(Action.discrete(a));
                        walk.add(a);
                    }
                }
                int mask = env.progressMoves();
                for (int a = 0; a < 4; a++) {
                    replay.reset(seed);
                    walk.forEach(m -> replay.step(Action.discrete(m)));
                    int[] before = replay.agent();
                    double[] f = new double[6];
                    replay.writeRewardFeatures(f, 0);
                    StepResult r = replay.step(Action.discrete(a));
                    boolean failed = r.terminated() && !Boolean.TRUE.equals(r.info().get(StepResult.SUCCESS));
                    boolean moved = replay.agent()[0] != before[0] || replay.agent()[1] != before[1];
                    double[] g = new double[6];
                    replay.writeRewardFeatures(g, 0);
                    boolean closer = moved && !failed && (g[0] < f[0] || g[5] > f[5]);
                    assertEquals(closer, (mask & (1 << a)) != 0, id + " seed " + seed + " walk " + walk + " move " + a);
                }
                if (mask != 0) {
                    labelled++;
                }
            }
            assertTrue(labelled > 250, id + ": " + labelled + " of 300 layouts have a closer move");
        }
    }

    @Test
    void crossingTheFirstGoalAgainIsAllowed() {
        GoToRoom env = make(GoToRoom.SEQ_ID);
        for (int seed = 0; seed < 100; seed++) {
            env.reset(seed);
            List<String> goals = goalsOf(env);
            walk(env, goals.subList(0, 1));
            int[] first = cellOf(env, goals.get(0));
            for (int d = 0; d < 4; d++) { // step off onto a free cell and back on
                int x = first[0] + DX[d];
                int y = first[1] + DY[d];
                if (x < 0 || y < 0 || x >= env.size() || y >= env.size() || env.objectAt(x, y) != null) {
                    continue;
                }
                assertFalse(env.step(Action.discrete(d)).done());
                StepResult back = env.step(Action.discrete((d + 2) % 4));
                assertFalse(back.done(), "seed " + seed + ": back onto the first goal");
                assertEquals(first[0], env.agent()[0]);
                assertEquals(first[1], env.agent()[1]);
                assertEquals(1, env.reached());
                return;
            }
        }
        throw new AssertionError("no first goal with a free neighbour in 100 seeds");
    }

    @Test
    void wallsSetTheBlockedFlag() {
        GoToRoom env = make(GoToRoom.HARD_ID);
        env.reset(1);
        int[] a = env.agent();
        for (int d = 0; d < 4; d++) {
            int x = a[0] + DX[d];
            int y = a[1] + DY[d];
            if (x < 0 || y < 0 || x >= env.size() || y >= env.size()) {
                StepResult r = env.step(Action.discrete(d));
                assertEquals(1f, ((FloatTensor) r.observation().tensor("state")).data()[5]);
                assertEquals(a[0], env.agent()[0]);
                return;
            }
        }
        // not at a wall: walk left until blocked
        StepResult r;
        do {
            r = env.step(Action.discrete(2));
        } while (!r.done() && env.agent()[0] > 0);
        if (!r.done()) {
            r = env.step(Action.discrete(2));
            assertEquals(1f, ((FloatTensor) r.observation().tensor("state")).data()[5]);
        }
    }

    /** A uniformly random policy, 1,000 episodes per level on a direct env loop: at most 0.1 success. */
    @Test
    void randomPolicySucceedsInAtMostATenthOfEpisodes() {
        for (String id : List.of(GoToRoom.HARD_ID, GoToRoom.SEQ_ID)) {
            Env env = REGISTRY.make(id);
            SplittableRandom rng = new SplittableRandom(1);
            int successes = 0;
            for (int episode = 0; episode < 1000; episode++) {
                env.reset(episode);
                StepResult r;
                do {
                    r = env.step(Action.discrete(rng.nextInt(4)));
                } while (!r.done());
                successes += Boolean.TRUE.equals(r.info().get(StepResult.SUCCESS)) ? 1 : 0;
            }
            double rate = successes / 1000.0;
            System.out.printf("%s: uniform random policy, 1000 episodes: success %.3f%n", id, rate);
            assertTrue(rate <= 0.1, id + ": random success " + rate);
            assertTrue(rate > 0.005, id + ": the goal is reachable by chance, " + rate);
        }
    }

    /** The test's own count of the missions consistent with the layout at reset (objects or ordered pairs). */
    private static List<List<String>> candidateMissions(GoToRoom env, int goals) {
        List<List<String>> out = new ArrayList<>();
        int[] agent = env.agent();
        for (String a : env.objects()) {
            if (firstMove(env, cellOf(env, a), null) < 0) {
                continue;
            }
            if (goals == 1) {
                out.add(List.of(a));
                continue;
            }
            int[] cellA = cellOf(env, a);
            for (String b : env.objects()) {
                if (!b.equals(a) && reachableFrom(env, cellA, cellOf(env, b), a)) {
                    out.add(List.of(a, b));
                }
            }
        }
        assertTrue(Arrays.equals(agent, env.agent()));
        return out;
    }

    private static boolean reachableFrom(GoToRoom env, int[] from, int[] to, String passable) {
        int n = env.size();
        boolean[] seen = new boolean[n * n];
        ArrayDeque<int[]> queue = new ArrayDeque<>();
        queue.add(from);
        seen[from[1] * n + from[0]] = true;
        while (!queue.isEmpty()) {
            int[] c = queue.poll();
            for (int d = 0; d < 4; d++) {
                int x = c[0] + DX[d];
                int y = c[1] + DY[d];
                if (x < 0 || y < 0 || x >= n || y >= n || seen[y * n + x]) {
                    continue;
                }
                if (x == to[0] && y == to[1]) {
                    return true;
                }
                String o = env.objectAt(x, y);
                if (o == null || o.equals(passable)) {
                    seen[y * n + x] = true;
                    queue.add(new int[] {x, y});
                }
            }
        }
        return false;
    }

    /**
     * The bound the README gives for a policy without the mission: {@link GoToRoom#candidates()} agrees with the test's
     * own count on every layout, the true mission is always among the candidates, and an oracle that sees the room
     * but not the mission (it goes to a uniformly drawn candidate, then, on a Seq level, to a candidate second goal)
     * succeeds as often as the mean of 1 / candidates says.
     */
    @Test
    void textBlindOracleReachesTheComputedBound() {
        for (String id : List.of(GoToRoom.HARD_ID, GoToRoom.SEQ_ID)) {
            GoToRoom env = make(id);
            int goals = id.equals(GoToRoom.SEQ_ID) ? 2 : 1;
            SplittableRandom rng = new SplittableRandom(5);
            int episodes = 3000;
            double expected = 0;
            int successes = 0;
            for (int e = 0; e < episodes; e++) {
                env.reset(10_000 + e);
                List<List<String>> missions = candidateMissions(env, goals);
                assertEquals(missions.size(), env.candidates(), id + " seed " + (10_000 + e));
                assertTrue(missions.contains(goalsOf(env)), "the true mission is a candidate");
                expected += 1.0 / missions.size();
                // the oracle: a first goal drawn in proportion to its candidate missions, then a second among its own
                List<String> pick = missions.get(rng.nextInt(missions.size()));
                StepResult r = walk(env, pick.subList(0, 1));
                if (goals == 2 && !r.done()) {
                    List<String> seconds = missions.stream().filter(m -> m.get(0).equals(pick.get(0)))
                            .map(m -> m.get(1)).toList();
                    r = walk(env, List.of(seconds.get(rng.nextInt(seconds.size()))));
                }
                successes += Boolean.TRUE.equals(r.info().get(StepResult.SUCCESS)) ? 1 : 0;
            }
            expected /= episodes;
            double rate = successes / (double) episodes;
            double sigma = Math.sqrt(expected * (1 - expected) / episodes);
            System.out.printf("%s: text-blind oracle %.4f, computed bound %.4f%n", id, rate, expected);
            assertEquals(expected, rate, 4 * sigma, id);
            double bound = GoToRoom.bestSuccessWithoutOneModality(new EnvParams(id,
                    REGISTRY.registration(id).params()), episodes, 10_000);
            assertEquals(expected, bound, 1e-12, "the same layouts give the same bound");
        }
    }

    @Test
    void registeredLevelsPassTheEnvChecker() {
        for (String id : List.of(GoToRoom.HARD_ID, GoToRoom.SEQ_ID)) {
            var report = EnvChecker.check(REGISTRY, id);
            assertTrue(report.passed(), report.format());
        }
    }

    @Test
    void badParametersNameTheKeys() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> REGISTRY.make(
                GoToRoom.HARD_ID, ConfigFactory.parseString("params { size = 5, colors = 6 }")));
        assertTrue(e.getMessage().contains("'colors' x 'types'") && e.getMessage().contains("1..8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> REGISTRY.make(GoToRoom.SEQ_ID,
                ConfigFactory.parseString("params.goals = 3")));
        assertTrue(e.getMessage().contains("'goals'") && e.getMessage().contains("1..2"), e.getMessage());
    }

    @Test
    void missionTokensDecodeToTheMission() {
        GoToRoom env = make(GoToRoom.SEQ_ID);
        Observation obs = env.reset(2);
        int[] ids = ((IntTensor) obs.tensor("mission")).data();
        assertEquals(9, ids.length);
        assertTrue(env.mission().matches("go to the [a-z]+ (ball|box|key) then the [a-z]+ (ball|box|key)"),
                env.mission());
        assertEquals(0f, ((FloatTensor) obs.tensor("state")).data()[6]);
    }

    /**
     * {@code view = agent} on the harder levels: a window of {@code view-cells} cells (default {@code 2 size - 1}; 7, as
     * BabyAI's partial view, cuts off the far cells) with the agent at its centre, the room's cells drawn as the room
     * view draws them (the agent orange after a blocked move) and the rest wall; the same episode as the room view's.
     */
    @Test
    void theAgentViewCentresTheAgent() {
        for (String id : List.of(GoToRoom.HARD_ID, GoToRoom.SEQ_ID)) {
            for (int cells : new int[] {0, 7}) {
                String params = "params { view = agent" + (cells > 0 ? ", view-cells = " + cells : "") + " }";
                GoToRoom room = make(id);
                Env wrapped = REGISTRY.make(id, ConfigFactory.parseString(params));
                GoToRoom ego = (GoToRoom) (wrapped instanceof EnvWrapper w ? w.unwrapped() : wrapped);
                int side = cells > 0 ? cells : 2 * room.size() - 1;
                Box image = (Box) ((Dict) ego.spec().observationSpace()).spaces().get("image");
                assertArrayEquals(new int[] {3, 6 * side, 6 * side}, image.shape(), id + " " + params);
                SplittableRandom rng = new SplittableRandom(3);
                int blocked = 0;
                for (long seed = 0; seed < 20; seed++) {
                    Observation ro = room.reset(seed);
                    Observation eo = ego.reset(seed);
                    for (int step = 0; step < 30; step++) {
                        assertEquals(ro.tensor("state"), eo.tensor("state"));
                        ByteTensor ri = (ByteTensor) ro.tensor("image");
                        ByteTensor ei = (ByteTensor) eo.tensor("image");
                        int[] a = ego.agent();
                        blocked += ((FloatTensor) eo.tensor("state")).data()[5] == 1f ? 1 : 0;
                        for (int wy = 0; wy < side; wy++) {
                            for (int wx = 0; wx < side; wx++) {
                                int rx = a[0] - (side - 1) / 2 + wx;
                                int ry = a[1] - (side - 1) / 2 + wy;
                                boolean inside = rx >= 0 && ry >= 0 && rx < room.size() && ry < room.size();
                                boolean agentCell = rx == a[0] && ry == a[1];
                                for (int py = 0; py < 6; py++) {
                                    for (int px = 0; px < 6; px++) {
                                        int[] got = rgb(ei, wx * 6 + px, wy * 6 + py);
                                        int[] want = inside ? rgb(ri, rx * 6 + px, ry * 6 + py) : AgentWindow.WALL_RGB;
                                        if (agentCell && Arrays.equals(want, new int[] {255, 255, 255})
                                                && ((FloatTensor) eo.tensor("state")).data()[5] == 1f) {
                                            want = RoomPainter.AGENT_BLOCKED_RGB;
                                        }
                                        assertArrayEquals(want, got, id + " " + params + " seed " + seed + " step "
                                                + step + " window cell (" + wx + ", " + wy + ")");
                                    }
                                }
                            }
                        }
                        int action = rng.nextInt(4);
                        StepResult r = room.step(Action.discrete(action));
                        StepResult e = ego.step(Action.discrete(action));
                        assertEquals(r.reward(), e.reward());
                        assertEquals(r.done(), e.done());
                        if (r.done()) {
                            break;
                        }
                        ro = r.observation();
                        eo = e.observation();
                    }
                }
                assertTrue(blocked > 5, id + ": blocked moves seen " + blocked);
                assertTrue(EnvChecker.check(() -> REGISTRY.make(id, ConfigFactory.parseString(params))).passed());
            }
        }
    }

    private static int[] rgb(ByteTensor image, int x, int y) {
        int h = image.shape()[1];
        int w = image.shape()[2];
        byte[] d = image.data();
        return new int[] {d[y * w + x] & 0xFF, d[h * w + y * w + x] & 0xFF, d[2 * h * w + y * w + x] & 0xFF};
    }
}
