package io.troupe.environments.gotoobject;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.Action;
import io.troupe.core.ByteTensor;
import io.troupe.core.Observation;
import io.troupe.core.StepResult;
import io.troupe.environments.Curriculum;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GoToObject-Hard-v0} played through a curriculum of smaller rooms with fewer objects. */
class GoToRoomCurriculumTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();
    /** Two easier stages before the level (8 x 8, 4 x 3 objects); a copy moves on after 3 of its last 4 episodes. */
    private static final String CURRICULUM = """
            params {
              view = agent
              view-cells = 16
              curriculum {
                stages = [ { size = 5, colors = 2, types = 2 }, { size = 6, colors = 2, types = 3, max-steps = 30 } ]
                window = 4
                advance-at = 0.75
              }
            }
            """;

    private static Env make(String params) {
        return REGISTRY.make(GoToRoom.HARD_ID, ConfigFactory.parseString(params));
    }

    private static GoToRoom room(Env env) {
        return (GoToRoom) (env instanceof EnvWrapper w ? w.unwrapped() : env);
    }

    /**
     * Plays one episode on the env itself: a shortest path onto the goal ({@code succeed}), or straight toward a wall
     * along a line without the goal (into another object or against the wall until the time limit).
     */
    private static StepResult play(GoToRoom room, boolean succeed) {
        if (succeed) {
            StepResult r = GoToRoomTest.walk(room, GoToRoomTest.goalsOf(room));
            assertTrue(r != null && r.terminated(), "no path to the goal in " + room.objects());
            return r;
        }
        int move = awayFromTheGoal(room);
        StepResult r;
        do {
            r = room.step(Action.discrete(move));
        } while (!r.done());
        return r;
    }

    /** A move whose line from the agent to the wall does not cross the goal. */
    private static int awayFromTheGoal(GoToRoom room) {
        int[] a = room.agent();
        int[] g = room.target();
        int[] dx = {1, 0, -1, 0};
        int[] dy = {0, 1, 0, -1};
        for (int d = 0; d < 4; d++) {
            boolean crosses = dx[d] != 0 ? g[1] == a[1] && Integer.signum(g[0] - a[0]) == dx[d]
                    : g[0] == a[0] && Integer.signum(g[1] - a[1]) == dy[d];
            if (!crosses) {
                return d;
            }
        }
        throw new AssertionError("every line crosses the goal");
    }

    /** A move whose line from the agent to the wall crosses no object (the agent then stays blocked at the wall). */
    private static int clearLine(GoToRoom room) {
        int[] dx = {1, 0, -1, 0};
        int[] dy = {0, 1, 0, -1};
        for (int d = 0; d < 4; d++) {
            int x = room.agent()[0] + dx[d];
            int y = room.agent()[1] + dy[d];
            while (x >= 0 && y >= 0 && x < room.size() && y < room.size() && room.objectAt(x, y) == null) {
                x += dx[d];
                y += dy[d];
            }
            if (x < 0 || y < 0 || x >= room.size() || y >= room.size()) {
                return d;
            }
        }
        throw new AssertionError("an object on every line from the agent: " + room.objects());
    }

    private static boolean succeeded(StepResult r) {
        return Boolean.TRUE.equals(r.info().get("success"));
    }

    @Test
    void withoutStartingTheCurriculumTheEnvPlaysTheLevelItself() {
        Env env = make(CURRICULUM);
        Curriculum c = Curriculum.of(env).orElseThrow();
        assertEquals(3, c.stages());
        for (int seed = 0; seed < 20; seed++) {
            env.reset(seed);
            assertEquals(2, c.stage());
            assertEquals(8, room(env).size());
            assertEquals(12, room(env).objects().size());
        }
        // the level without a curriculum has none to start
        assertTrue(Curriculum.of(REGISTRY.make(GoToRoom.HARD_ID)).isEmpty());
    }

    @Test
    void copiesMoveOnWhenTheirRecentEpisodesSucceedAndReportTheStageOfEachEpisode() {
        GoToRoom env = room(Curriculum.started(make(CURRICULUM)));
        Curriculum c = env;
        GoToRoom room = env;
        int[] imageShape = ((ByteTensor) env.reset(1).tensor("image")).shape();
        assertArrayEquals(new int[] {3, 96, 96}, imageShape, "every stage shows the level's 16-cell window");
        assertEquals(0, c.stage());
        assertEquals(5, room.size());
        assertEquals(4, room.objects().size());

        // failures keep the copy on its stage, whatever their number
        for (int i = 0; i < 6; i++) {
            assertFalse(succeeded(play(env, false)));
            assertEquals(0, c.endedStage());
            env.reset();
            assertEquals(0, c.stage());
        }
        // 3 successes among the last 4 episodes (0.75 of the window): the next reset starts stage 1
        List<Integer> stagesSeen = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertTrue(succeeded(play(env, true)));
            assertEquals(0, c.endedStage());
            Observation obs = env.reset();
            stagesSeen.add(c.stage());
            assertArrayEquals(imageShape, ((ByteTensor) obs.tensor("image")).shape());
        }
        assertEquals(List.of(0, 0, 1), stagesSeen);
        assertEquals(6, room.size());
        assertEquals(6, room.objects().size());
        // the stage's own time limit (30 steps), and its outcomes start afresh: 2 successes are not enough
        int clear = clearLine(env);
        int length = 0;
        StepResult r;
        do {
            r = env.step(Action.discrete(clear));
            length++;
        } while (!r.done());
        assertTrue(r.truncated());
        assertEquals(30, length);
        assertEquals(1, c.endedStage());
        for (int i = 0; i < 2; i++) {
            env.reset();
            play(env, true);
        }
        env.reset();
        assertEquals(1, c.stage(), "1 failure and 2 successes at stage 1: 2/3 of a window not yet full");
        play(env, true);
        env.reset();
        assertEquals(2, c.stage(), "3 of the last 4 episodes succeeded: the level itself");
        assertEquals(8, room.size());
        assertEquals(12, room.objects().size());
        // the last stage is kept whatever happens
        for (int i = 0; i < 5; i++) {
            play(env, false);
            assertEquals(2, c.endedStage());
            env.reset();
            assertEquals(2, c.stage());
        }
    }

    @Test
    void withTheBlockGateACopyMovesOnOnlyAfterAWholeWindowThatDidWellEnough() {
        // successes S S F F S S S: a sliding window of 4 holds F S S S (0.75) after the seventh episode and moves on;
        // in blocks of 4 the first block (S S F F, 0.5) is over and the second holds 3 episodes, not yet judged
        boolean[] outcomes = {true, true, false, false, true, true, true};
        assertEquals(1, stageAfter(CURRICULUM, outcomes), "sliding (the default)");
        String blocks = CURRICULUM.replace("advance-at = 0.75", "advance-at = 0.75\n    gate = blocks");
        GoToRoom env = room(Curriculum.started(make(blocks)));
        env.reset(5);
        for (boolean success : outcomes) {
            assertEquals(success, succeeded(play(env, success)));
            env.reset();
            assertEquals(0, ((Curriculum) env).stage());
        }
        play(env, true); // the second block: S S S S
        env.reset();
        assertEquals(1, ((Curriculum) env).stage(), "a whole block of 4 at 1.0 moves the copy on");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> make(
                CURRICULUM.replace("advance-at = 0.75", "gate = tumbling")));
        assertTrue(e.getMessage().contains("curriculum.gate") && e.getMessage().contains("sliding, blocks"),
                e.getMessage());
    }

    /** The stage a copy plays after episodes with {@code outcomes} from the start of the curriculum. */
    private static int stageAfter(String params, boolean[] outcomes) {
        GoToRoom env = room(Curriculum.started(make(params)));
        env.reset(5);
        for (boolean success : outcomes) {
            play(env, success);
            env.reset();
        }
        return ((Curriculum) env).stage();
    }

    @Test
    void theSameSeedsAndMovesGiveTheSameStagesAndEpisodes() {
        List<String> first = trace();
        assertEquals(first, trace());
        assertTrue(first.stream().anyMatch(s -> s.startsWith("1 ")), "the trace reaches stage 1: " + first);
    }

    private static List<String> trace() {
        GoToRoom env = room(Curriculum.started(make(CURRICULUM)));
        Curriculum c = env;
        List<String> out = new ArrayList<>();
        env.reset(7);
        for (int episode = 0; episode < 8; episode++) {
            out.add(c.stage() + " " + env.mission() + " " + env.objects());
            play(env, episode % 3 != 2);
            env.reset();
        }
        return out;
    }

    @Test
    void badCurriculaNameTheParameterAndWhatIsExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> make(
                "params { view = agent, view-cells = 16, curriculum.stages = [ { size = 5, view = room } ] }"));
        assertTrue(e.getMessage().contains("curriculum stage 1 sets 'view'")
                && e.getMessage().contains("size, colors, types and max-steps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> make(
                "params { curriculum.stages = [ { size = 5, colors = 2, types = 2 } ] }"));
        assertTrue(e.getMessage().contains("image is 5 cells a side, the level's 8")
                && e.getMessage().contains("use view = agent"), e.getMessage());
        // in the agent view a smaller room is seen through the level's window (15 cells by default for 8 x 8)
        Env agentView = Curriculum.started(make(
                "params { view = agent, curriculum.stages = [ { size = 5, colors = 2, types = 2 } ] }"));
        assertArrayEquals(new int[] {3, 90, 90}, ((ByteTensor) agentView.reset(3).tensor("image")).shape());
        assertEquals(5, room(agentView).size());
        e = assertThrows(IllegalArgumentException.class, () -> make(
                "params { view = agent, view-cells = 16, curriculum.stages = [ { size = 4, colors = 3 } ] }"));
        assertTrue(e.getMessage().startsWith("curriculum stage 1: env GoToObject-Hard-v0: parameters 'colors' x "
                + "'types' = 3 x 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> make(
                "params { view = agent, view-cells = 16, curriculum { stages = [ { size = 5 } ], windw = 10 } }"));
        assertTrue(e.getMessage().contains("unknown parameter 'curriculum.windw'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> make(
                "params { view = agent, view-cells = 16, curriculum { stages = [ { size = 5 } ], advance-at = 2 } }"));
        assertTrue(e.getMessage().contains("'curriculum.advance-at' must be a number in [0.0, 1.0], got 2"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> make(
                "params { view = agent, view-cells = 16, curriculum.stages = { size = 5 } }"));
        assertTrue(e.getMessage().contains("'curriculum.stages' must be a list of parameter blocks"), e.getMessage());
    }
}
