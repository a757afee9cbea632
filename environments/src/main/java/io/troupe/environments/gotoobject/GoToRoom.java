package io.troupe.environments.gotoobject;

import com.typesafe.config.Config;
import io.troupe.core.Action;
import io.troupe.core.ByteTensor;
import io.troupe.core.DType;
import io.troupe.core.EpisodeWindow;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Text;
import io.troupe.environments.AbstractEnv;
import io.troupe.environments.Curriculum;
import io.troupe.environments.EnvParams;
import io.troupe.environments.RewardFeatures;
import io.troupe.environments.RgbRenderable;
import io.troupe.environments.StepOutcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The harder levels of the GoToObject family: {@code GoToObject-Hard-v0} (one goal: "go to the red ball") and
 * {@code GoToObject-Seq-v0} (two goals in order: "go to the red ball then the blue key").
 *
 * <p>A {@code size x size} room holds {@code colors x types} objects: every combination of {@code colors} colours and
 * {@code types} types drawn for the episode (Hard: 4 x 3 = 12 objects in 8 x 8), so every object shares its colour with
 * another and its type with another and the mission needs both words. Positions are uniform; the goals are drawn
 * uniformly among the objects (Seq: an ordered pair of two different ones). Layouts are redrawn until each goal can be
 * reached without touching another object (Seq: the second from the first).
 *
 * <p>Actions 0..3 move right, down, left, up; walls block. Stepping onto the current goal reaches it (Seq: the agent
 * stands on it and may cross it again later); reaching the last goal ends the episode with reward
 * {@code 1 - 0.9 * t / maxSteps} and success. Stepping onto any other object ends the episode with reward 0 and no
 * success: a policy commits to one object, so it cannot find the goal by bumping into candidates, and the best success
 * without the mission or without the image is {@link #candidates()}'s expectation (see the README). After
 * {@code max-steps} (default {@code 8 * size}) the episode is truncated with reward 0.
 *
 * <p>Observation: {@code image} uint8 {@code [3, size*cell, size*cell]} (as GoToObject-v0; {@code view = agent}: the
 * agent-centred window of {@code view-cells} cells a side, default {@code 2 size - 1}, as GoToObject-v0's), {@code
 * mission} token ids
 * (Text, 5 tokens for one goal, 9 for two, over one 14-word vocabulary) and {@code state} float32 {@code [7]}: the
 * direction one-hot of the last move, the fraction of the time limit used, 1 if the last move was blocked by a wall, and
 * the fraction of the goals reached.
 *
 * <p>A {@link Curriculum} (parameter block {@code curriculum}): {@code stages}, a list of easier rooms played before
 * the level, easiest first, each setting some of {@code size}, {@code colors}, {@code types} and {@code max-steps}
 * (the other parameters are the level's; in the agent view every stage shows the level's window of {@code
 * view-cells}, in the room view every stage must keep the level's size); {@code window} (default 20) and {@code
 * advance-at} (default 0.8): a copy moves to the next stage at the reset after its last {@code window} episodes at a
 * stage succeeded at least {@code advance-at} of the time; {@code gate} (default {@code sliding}): {@code blocks} judges
 * the window once it is full and then starts it afresh, so a copy moves on after {@code window} consecutive episodes
 * that did well enough together, never on a lucky run inside a longer losing streak (with a sliding window every
 * episode opens a new chance: a copy succeeding half the time passes 16 of 20 about once in 170 episodes, with blocks
 * of 20 once in about 3,400).
 * Only copies whose curriculum was started (a training job's agents) play the stages.
 */
public final class GoToRoom extends AbstractEnv implements RgbRenderable, RewardFeatures, Curriculum {
    public static final String HARD_ID = "GoToObject-Hard-v0";
    public static final String SEQ_ID = "GoToObject-Seq-v0";

    private static final List<String> TYPES = RoomPainter.TYPES;
    private static final List<String> COLORS = RoomPainter.COLORS;
    private static final int[] DX = {1, 0, -1, 0};
    private static final int[] DY = {0, 1, 0, -1};
    private static final int STATE_SIZE = AgentState.SHARED_SIZE + 1; // + the goals reached
    private static final int MAX_LAYOUT_DRAWS = 10_000;

    /** The parameters, read once (each names its key, default and range). */
    private record Settings(String id, int size, int colors, int types, int goals, int cell, int maxSteps, View view,
                            int cells) {
        static Settings read(EnvParams p) {
            return read(p, 0);
        }

        /** {@code windowCells > 0}: a curriculum stage's, whose agent view shows the level's window at any size. */
        static Settings read(EnvParams p, int windowCells) {
            int size = p.intParam("size", 8, 4, 12);
            int colors = p.intParam("colors", 4, 1, COLORS.size());
            int types = p.intParam("types", 3, 1, TYPES.size());
            int goals = p.intParam("goals", 1, 1, 2);
            int cell = p.intParam("cell-pixels", 6, 4, 16);
            int maxSteps = p.intParam("max-steps", 8 * size, 1, 100_000);
            View view = View.read(p);
            int cells = view == View.AGENT && windowCells > 0 ? windowCells : view.cells(p, size);
            int objects = colors * types;
            if (objects < goals || objects > size * size / 3) {
                throw new IllegalArgumentException("env " + p.id() + ": parameters 'colors' x 'types' = " + colors
                        + " x " + types + " = " + objects + " objects; expected " + goals + ".." + size * size / 3
                        + " (at least one per goal, at most a third of the " + size + " x " + size + " room)");
            }
            return new Settings(p.id(), size, colors, types, goals, cell, maxSteps, view, cells);
        }

        int objects() {
            return colors * types;
        }
    }

    /** The curriculum's parameters, read once: every stage (the level itself last) and when a copy moves on. */
    private record Stages(List<Settings> stages, int window, double advanceAt, boolean blockGate) {
        private static final Set<String> KEYS = Set.of("stages", "window", "advance-at", "gate");
        private static final Set<String> STAGE_KEYS = Set.of("size", "colors", "types", "max-steps");

        static Stages read(EnvParams p, Settings level) {
            for (String key : p.blockKeys("curriculum")) {
                if (!KEYS.contains(key)) {
                    throw new IllegalArgumentException("env " + p.id() + ": unknown parameter 'curriculum." + key
                            + "'; expected curriculum.stages, curriculum.window, curriculum.advance-at or "
                            + "curriculum.gate");
                }
            }
            List<Config> blocks = p.blocks("curriculum.stages");
            int window = p.intParam("curriculum.window", 20, 1, 10_000);
            double advanceAt = p.doubleParam("curriculum.advance-at", 0.8, 0.0, 1.0);
            boolean blockGate = p.stringParam("curriculum.gate", "sliding", "sliding", "blocks").equals("blocks");
            List<Settings> stages = new ArrayList<>();
            for (int i = 0; i < blocks.size(); i++) {
                Config block = blocks.get(i);
                for (String key : block.root().keySet()) {
                    if (!STAGE_KEYS.contains(key)) {
                        throw new IllegalArgumentException("env " + p.id() + ": curriculum stage " + (i + 1) + " sets '"
                                + key + "'; a stage may set only size, colors, types and max-steps (the others are "
                                + "the level's, so that every stage's observation has the level's shape)");
                    }
                }
                Settings stage;
                try {
                    stage = Settings.read(p.variant(block, "curriculum"), level.cells());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("curriculum stage " + (i + 1) + ": " + e.getMessage(), e);
                }
                if (stage.cells() != level.cells()) {
                    throw new IllegalArgumentException("env " + p.id() + ": curriculum stage " + (i + 1)
                            + "'s image is " + stage.cells() + " cells a side, the level's " + level.cells()
                            + "; in the room view every stage must keep the level's size (or use view = agent: "
                            + "every stage then shows the level's window)");
                }
                stages.add(stage);
            }
            stages.add(level);
            return new Stages(List.copyOf(stages), window, advanceAt, blockGate);
        }
    }

    /** A stage's room, ready to play: its settings, its painter and (agent view) its window. */
    private record Level(Settings settings, RoomPainter painter, AgentWindow window) {
        static Level of(Settings s) {
            return new Level(s, new RoomPainter(s.size(), s.cell()),
                    s.view() == View.AGENT ? new AgentWindow(s.size(), s.cells(), s.cell()) : null);
        }
    }

    // the level of the current episode (a curriculum stage's, or the level's own)
    private int size;
    private int colors;
    private int types;
    private int numObjects;
    private int maxSteps;
    private RoomPainter painter;
    private AgentWindow window; // null in the room view

    private final int numGoals;
    private final int missionTokens;
    private final Text missionSpace;
    private final int[] missionIds;

    // the curriculum: every stage, the level itself last; the copy's recent outcomes at its stage
    private final Level[] levels;
    private final double advanceAt;
    /** {@code curriculum.gate = blocks}: the window is judged when full and then emptied, not slid one episode on. */
    private final boolean blockGate;
    private final int outcomes;
    private EpisodeWindow recent;
    private boolean curriculumStarted;
    private boolean restartCurriculum;
    private int stage;
    private int endedStage;

    // episode state
    private final int[] objX;
    private final int[] objY;
    private final int[] objType;
    private final int[] objColor;
    private final int[] cellObject;
    private final int[] goals;
    private int reached;
    private int agentX;
    private int agentY;
    private int dir;
    private int t;
    private boolean blocked;
    // scratch for the reachability checks
    private final int[] queue;
    private final boolean[] seen;

    /** GoToObject-Hard-v0 with default parameters. */
    public GoToRoom() {
        this(EnvParams.empty(HARD_ID));
    }

    public GoToRoom(EnvParams params) {
        this(params, Settings.read(params));
    }

    private GoToRoom(EnvParams params, Settings level) {
        this(level, Stages.read(params, level));
    }

    private GoToRoom(Settings s, Stages stages) {
        super(spec(s));
        this.levels = stages.stages().stream().map(Level::of).toArray(Level[]::new);
        this.advanceAt = stages.advanceAt();
        this.blockGate = stages.blockGate();
        this.outcomes = stages.window();
        this.recent = new EpisodeWindow(outcomes);
        this.numGoals = s.goals();
        this.missionTokens = missionTokens(s.goals());
        this.missionSpace = (Text) ((Dict) spec().observationSpace()).spaces().get("mission");
        this.missionIds = new int[missionTokens];
        int maxObjects = stages.stages().stream().mapToInt(Settings::objects).max().orElseThrow();
        int maxCells = stages.stages().stream().mapToInt(l -> l.size() * l.size()).max().orElseThrow();
        this.objX = new int[maxObjects];
        this.objY = new int[maxObjects];
        this.objType = new int[maxObjects];
        this.objColor = new int[maxObjects];
        this.cellObject = new int[maxCells];
        this.goals = new int[numGoals];
        this.queue = new int[maxCells];
        this.seen = new boolean[maxCells];
        this.stage = levels.length - 1;
        this.endedStage = stage;
        play(levels[stage]);
    }

    private void play(Level level) {
        Settings s = level.settings();
        this.size = s.size();
        this.colors = s.colors();
        this.types = s.types();
        this.numObjects = s.objects();
        this.maxSteps = s.maxSteps();
        this.painter = level.painter();
        this.window = level.window();
    }

    // ---------------------------------------------------------------- curriculum

    @Override
    public int stages() {
        return levels.length;
    }

    @Override
    public int stage() {
        return stage;
    }

    @Override
    public int endedStage() {
        return endedStage;
    }

    @Override
    public void startCurriculum() {
        if (!curriculumStarted) {
            curriculumStarted = true;
            restartCurriculum = true;
        }
    }

    /** At a reset: the first stage once the curriculum starts, the next one once this copy's recent results say so. */
    private void chooseStage() {
        if (restartCurriculum) {
            restartCurriculum = false;
            stage = 0;
            recent = new EpisodeWindow(outcomes);
        } else if (curriculumStarted && stage < levels.length - 1 && recent.full()) {
            if (recent.successRate() >= advanceAt) {
                stage++;
                recent = new EpisodeWindow(outcomes);
            } else if (blockGate) { // a block that fell short is over: the next is judged on its own episodes
                recent = new EpisodeWindow(outcomes);
            }
        }
        play(levels[stage]);
    }

    private void episodeEnded(boolean success) {
        endedStage = stage;
        if (!curriculumStarted || stage == levels.length - 1) {
            return;
        }
        recent.add(success ? 1 : 0, success);
    }

    private static int missionTokens(int goals) {
        return goals == 1 ? 5 : 9; // "go to the C T" + " then the C T"
    }

    private static EnvSpec spec(Settings s) {
        List<String> words = new ArrayList<>(List.of("go", "to", "the", "then"));
        words.addAll(COLORS);
        words.addAll(TYPES);
        Dict obs = Dict.of(
                "image", Box.image(3, s.cells() * s.cell(), s.cells() * s.cell()),
                "mission", Text.of(missionTokens(s.goals()), words),
                "state", Box.uniform(0f, 1f, DType.FLOAT32, STATE_SIZE));
        return new EnvSpec(s.id(), obs, new Discrete(4), OptionalInt.of(s.maxSteps()), OptionalDouble.empty(), true);
    }

    /** The mission of the current episode, in words. */
    public String mission() {
        return missionSpace.decode(missionIds);
    }

    @Override
    public String caption() {
        return mission();
    }

    // ---------------------------------------------------------------- layout

    @Override
    protected void resetState(RandomGenerator rng) {
        chooseStage();
        int[] colorPick = pick(rng, COLORS.size(), colors);
        int[] typePick = pick(rng, TYPES.size(), types);
        for (int i = 0; i < numObjects; i++) {
            objColor[i] = colorPick[i / types];
            objType[i] = typePick[i % types];
        }
        goals[0] = rng.nextInt(numObjects);
        if (numGoals == 2) {
            goals[1] = (goals[0] + 1 + rng.nextInt(numObjects - 1)) % numObjects;
        }
        int draws = 0;
        do {
            if (++draws > MAX_LAYOUT_DRAWS) {
                throw new IllegalStateException(spec().id() + ": no layout with reachable goals in " + MAX_LAYOUT_DRAWS
                        + " draws; use a larger room or fewer objects");
            }
            place(rng);
        } while (!goalsReachable());
        dir = rng.nextInt(4);
        t = 0;
        reached = 0;
        blocked = false;
        StringBuilder m = new StringBuilder("go to the ").append(name(goals[0]));
        if (numGoals == 2) {
            m.append(" then the ").append(name(goals[1]));
        }
        int[] ids = missionSpace.encode(m.toString());
        System.arraycopy(ids, 0, missionIds, 0, missionTokens);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                drawCell(x, y);
            }
        }
    }

    /** {@code k} distinct values of {@code 0..n-1}, uniformly (a partial Fisher-Yates shuffle). */
    private static int[] pick(RandomGenerator rng, int n, int k) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        return Arrays.copyOf(all, k);
    }

    private void place(RandomGenerator rng) {
        Arrays.fill(cellObject, -1);
        for (int i = 0; i < numObjects; i++) {
            int c = freeCell(rng);
            objX[i] = c % size;
            objY[i] = c / size;
            cellObject[c] = i;
        }
        int a = freeCell(rng);
        agentX = a % size;
        agentY = a / size;
    }

    private int freeCell(RandomGenerator rng) {
        int c;
        do {
            c = rng.nextInt(size * size);
        } while (cellObject[c] >= 0);
        return c;
    }

    private String name(int obj) {
        return COLORS.get(objColor[obj]) + " " + TYPES.get(objType[obj]);
    }

    private boolean goalsReachable() {
        flood(agentY * size + agentX, -1);
        if (!touches(goals[0])) {
            return false;
        }
        if (numGoals == 2) {
            flood(objY[goals[0]] * size + objX[goals[0]], goals[0]);
            return touches(goals[1]);
        }
        return true;
    }

    /** Marks in {@code seen} the cells reachable from {@code start} through free cells and {@code passable}'s cell. */
    private void flood(int start, int passable) {
        Arrays.fill(seen, false);
        int head = 0;
        int tail = 0;
        queue[tail++] = start;
        seen[start] = true;
        while (head < tail) {
            int c = queue[head++];
            int x = c % size;
            int y = c / size;
            for (int d = 0; d < 4; d++) {
                int nx = x + DX[d];
                int ny = y + DY[d];
                if (nx < 0 || ny < 0 || nx >= size || ny >= size) {
                    continue;
                }
                int n = ny * size + nx;
                if (!seen[n] && (cellObject[n] < 0 || cellObject[n] == passable)) {
                    seen[n] = true;
                    queue[tail++] = n;
                }
            }
        }
    }

    /** Whether object {@code obj}'s cell is next to a cell {@link #flood} reached. */
    private boolean touches(int obj) {
        for (int d = 0; d < 4; d++) {
            int nx = objX[obj] + DX[d];
            int ny = objY[obj] + DY[d];
            if (nx >= 0 && ny >= 0 && nx < size && ny < size && seen[ny * size + nx]) {
                return true;
            }
        }
        return false;
    }

    /**
     * The number of missions the generator could have drawn for this episode's layout: the objects the agent can reach
     * without touching another (Seq: the ordered pairs (A, B) with A reachable so and B reachable so from A). Given
     * the image, each is equally likely (goals are drawn uniformly, positions independently of them, and layouts are
     * kept only when the goals are reachable), so a policy without the mission succeeds at most {@code 1 / candidates}
     * of the time, and reaches it by going to a random candidate; a policy without the image cannot do better either
     * (the first object it touches is the goal with probability 1 over the reachable ones). Computed at reset, before
     * any move.
     */
    public int candidates() {
        int agentCell = agentY * size + agentX;
        if (reached > 0 || t > 0) {
            throw new IllegalStateException("candidates() describes the layout at reset; call it before stepping");
        }
        flood(agentCell, -1);
        boolean[] first = new boolean[numObjects];
        for (int i = 0; i < numObjects; i++) {
            first[i] = touches(i);
        }
        int count = 0;
        for (int a = 0; a < numObjects; a++) {
            if (!first[a]) {
                continue;
            }
            if (numGoals == 1) {
                count++;
                continue;
            }
            flood(objY[a] * size + objX[a], a);
            for (int b = 0; b < numObjects; b++) {
                if (b != a && touches(b)) {
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * The best success a policy can reach without the mission (and an upper bound without the image), over
     * {@code layouts} resets of a fresh env with these parameters seeded {@code seed, seed + 1, ...}: the mean of
     * {@code 1 / candidates()}.
     */
    public static double bestSuccessWithoutOneModality(EnvParams params, int layouts, long seed) {
        GoToRoom env = new GoToRoom(params);
        double sum = 0;
        for (int i = 0; i < layouts; i++) {
            env.reset(seed + i);
            sum += 1.0 / env.candidates();
        }
        return sum / layouts;
    }

    // ---------------------------------------------------------------- dynamics

    @Override
    protected void advance(Action action, StepOutcome out) {
        int a = ((Action.Discrete) action).index();
        int oldX = agentX;
        int oldY = agentY;
        dir = a;
        t++;
        int nx = agentX + DX[a];
        int ny = agentY + DY[a];
        blocked = nx < 0 || ny < 0 || nx >= size || ny >= size;
        if (!blocked) {
            int obj = cellObject[ny * size + nx];
            boolean wrong = obj >= 0 && obj != goals[reached] && !(reached > 0 && obj == goals[reached - 1]);
            if (wrong) {
                out.terminated = true; // touched another object: the episode fails, the agent stays
            } else {
                agentX = nx;
                agentY = ny;
                if (obj >= 0 && obj == goals[reached]) {
                    reached++;
                }
            }
        }
        if (reached == numGoals) {
            out.terminated = true;
            out.success = true;
            out.reward = AgentState.successReward(t, maxSteps);
        } else if (!out.terminated && t >= maxSteps) {
            out.truncated = true;
        }
        if (out.terminated || out.truncated) {
            episodeEnded(out.success);
        }
        drawCell(oldX, oldY);
        if (oldX != agentX || oldY != agentY) {
            drawCell(agentX, agentY);
        }
    }

    @Override
    protected void writeObservation(ObservationBatch out, int row) {
        byte[] image = observedImage();
        System.arraycopy(image, 0, out.bytes(0), row * image.length, image.length);
        System.arraycopy(missionIds, 0, out.ints(1), row * missionTokens, missionTokens);
        float[] s = out.floats(2);
        int base = row * STATE_SIZE;
        AgentState.write(s, base, dir, t, maxSteps, blocked);
        s[base + 6] = (float) reached / numGoals;
    }

    /**
     * {@code distance}: Manhattan distance from the agent to the current goal; {@code agent_x, agent_y, target_x,
     * target_y}: cells (0 is the left or top column); {@code reached}: goals reached so far.
     */
    @Override
    public List<String> rewardFeatureNames() {
        return List.of("distance", "agent_x", "agent_y", "target_x", "target_y", "reached");
    }

    @Override
    public void writeRewardFeatures(double[] out, int offset) {
        int[] g = target();
        out[offset] = Math.abs(agentX - g[0]) + Math.abs(agentY - g[1]);
        out[offset + 1] = agentX;
        out[offset + 2] = agentY;
        out[offset + 3] = g[0];
        out[offset + 4] = g[1];
        out[offset + 5] = reached;
    }

    /** Agent position {@code [x, y]} and direction (0 right, 1 down, 2 left, 3 up). */
    public int[] agent() {
        return new int[] {agentX, agentY, dir};
    }

    /** Position {@code [x, y]} of the current goal (the last one once every goal is reached). */
    public int[] target() {
        int g = goals[Math.min(reached, numGoals - 1)];
        return new int[] {objX[g], objY[g]};
    }

    /**
     * The moves that bring the agent one cell closer (Manhattan) to the current goal without leaving the room or
     * touching another object, as a bit mask (bit {@code a} for action {@code a}); 0 once every goal is reached or when
     * other objects block both closer cells. The labels of a supervised grounding probe ({@code ./troupe bench
     * grounding}): a policy that always takes one of them reaches the goal by a shortest path where one is straight.
     */
    public int progressMoves() {
        if (reached == numGoals) {
            return 0;
        }
        int goal = goals[reached];
        int d = Math.abs(agentX - objX[goal]) + Math.abs(agentY - objY[goal]);
        int mask = 0;
        for (int a = 0; a < DX.length; a++) {
            int nx = agentX + DX[a];
            int ny = agentY + DY[a];
            if (nx < 0 || ny < 0 || nx >= size || ny >= size) {
                continue;
            }
            int obj = cellObject[ny * size + nx];
            boolean other = obj >= 0 && obj != goal && !(reached > 0 && obj == goals[reached - 1]);
            if (!other && Math.abs(nx - objX[goal]) + Math.abs(ny - objY[goal]) < d) {
                mask |= 1 << a;
            }
        }
        return mask;
    }

    /** Goals reached so far this episode. */
    public int reached() {
        return reached;
    }

    /** The object at cell {@code (x, y)} as "colour type", or null for floor. */
    public String objectAt(int x, int y) {
        int obj = cellObject[y * size + x];
        return obj < 0 ? null : name(obj);
    }

    /** The objects in the room as "colour type", in the order they were placed. */
    public List<String> objects() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < numObjects; i++) {
            out.add(name(i));
        }
        return out;
    }

    /** Grid side length in cells. */
    public int size() {
        return size;
    }

    // ---------------------------------------------------------------- rendering

    /** What the agent sees: the observation's image (the room, or the window centred on the agent). */
    @Override
    public ByteTensor renderRgb() {
        int side = window == null ? painter.width() : window.width();
        return new ByteTensor(new int[] {3, side, side}, observedImage().clone());
    }

    private byte[] observedImage() {
        return window == null ? painter.image() : window.cut(painter.image(), agentX, agentY);
    }

    private void drawCell(int cx, int cy) {
        int obj = cellObject[cy * size + cx];
        painter.draw(cx, cy, obj >= 0 ? objType[obj] : -1, obj >= 0 ? objColor[obj] : -1,
                cx == agentX && cy == agentY ? dir : -1, blocked && window != null);
    }
}
