import ai.djl.Device;
import io.troupe.core.Categorical;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.VectorEnv;
import io.troupe.environments.gotoobject.GoToObject;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.PolicyModel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Why a GoToObject-v0 checkpoint's policy fails: plays the episodes `./troupe eval` plays (16 copies of the default
 * env, reset from seed 12345, each copy's first episodes) and classifies each one, with what the policy does next to
 * the target, and how it does with the image or the mission blanked.
 *
 *   java -cp cluster/target/troupe.jar scripts/GoToObjectFailures.java RUN_DIR [EPISODES] [greedy|sampled|blind|mute]
 *
 * greedy (default) and sampled act as `./troupe eval` does; blind is greedy on an all-black image, mute greedy on a
 * mission of padding. Failures are classed by the last 10 cells visited: stuck (one cell, pushing into an object or a
 * wall), a 2-cell oscillation, a short loop (3-4 cells), wandering (more). Successes are optimal when as long as the
 * shortest path around the distractors, detours otherwise.
 */
public class GoToObjectFailures {
    private static final int[] DX = {1, 0, -1, 0};
    private static final int[] DY = {0, 1, 0, -1};
    private static final long SEED = 12345;

    public static void main(String[] args) {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: GoToObjectFailures RUN_DIR [EPISODES] [greedy|sampled|blind|mute]");
        }
        int episodes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String mode = args.length > 2 ? args[2] : "greedy";
        if (!List.of("greedy", "sampled", "blind", "mute").contains(mode)) {
            throw new IllegalArgumentException("mode '" + mode + "': expected greedy, sampled, blind or mute");
        }
        int envs = Math.min(episodes, 16);
        RunCheckpoint run = RunCheckpoint.open(Path.of(args[0]));
        if (!run.envId().equals(GoToObject.ID)) {
            throw new IllegalArgumentException(args[0] + " trained " + run.envId() + ", not " + GoToObject.ID);
        }
        // the run's own registration and overrides (its view, size, ...), as ./troupe eval makes them
        EnvRegistry registry = EnvRegistry.fromConfig(run.config());
        List<GoToObject> copies = new ArrayList<>();
        for (int i = 0; i < envs; i++) {
            Env env = registry.make(run.envId(), run.envOverrides());
            copies.add((GoToObject) (env instanceof EnvWrapper w ? w.unwrapped() : env));
        }
        int[] quota = new int[envs];
        for (int e = 0; e < envs; e++) {
            quota[e] = episodes / envs + (e < episodes % envs ? 1 : 0);
        }
        Map<String, Integer> classes = new TreeMap<>();
        List<List<int[]>> trajectories = new ArrayList<>();
        int[] shortest = new int[envs];
        int[] nextToTarget = new int[envs];
        for (int i = 0; i < envs; i++) {
            trajectories.add(new ArrayList<>());
        }
        int[] byDistance = new int[6];
        int[] shortenedByDistance = new int[6];
        int[] adjacent = new int[4]; // target ahead: steps, steps onto it; target aside or behind: steps, steps onto it
        int failuresNextToTarget = 0;
        int done = 0;
        SplittableRandom rng = new SplittableRandom(SEED);
        double[] probs = new double[4];
        try (PolicyModel model = run.newModel(Device.cpu()); VectorEnv vec = new VectorEnv(copies)) {
            vec.reset(SEED);
            for (int e = 0; e < envs; e++) {
                shortest[e] = distance(copies.get(e), copies.get(e).agent()[0], copies.get(e).agent()[1]);
            }
            int[] actions = new int[envs];
            while (done < episodes) {
                if (mode.equals("blind")) {
                    Arrays.fill(vec.observations().bytes(0), (byte) 0);
                } else if (mode.equals("mute")) {
                    Arrays.fill(vec.observations().ints(1), 0);
                }
                Policy.Evaluation ev = model.evaluate(vec.observations());
                for (int e = 0; e < envs; e++) {
                    GoToObject env = copies.get(e);
                    actions[e] = mode.equals("sampled") ? Categorical.sample(ev.logits(), e * 4, 4, probs, rng)
                            : Categorical.argmax(ev.logits(), e * 4, 4);
                    int[] agent = env.agent();
                    int nx = agent[0] + DX[actions[e]];
                    int ny = agent[1] + DY[actions[e]];
                    boolean wall = nx < 0 || ny < 0 || nx >= env.size() || ny >= env.size();
                    boolean object = !wall && env.objectAt(nx, ny) > 0;
                    int d0 = distance(env, agent[0], agent[1]);
                    int d1 = wall || object ? d0 : distance(env, nx, ny);
                    byDistance[Math.min(d0, 5)]++;
                    shortenedByDistance[Math.min(d0, 5)] += d1 < d0 ? 1 : 0;
                    if (d0 == 1) {
                        nextToTarget[e]++;
                        int[] target = env.target();
                        boolean ahead = agent[0] + DX[agent[2]] == target[0] && agent[1] + DY[agent[2]] == target[1];
                        adjacent[ahead ? 0 : 2]++;
                        adjacent[ahead ? 1 : 3] += d1 == 0 ? 1 : 0;
                    }
                    trajectories.get(e).add(new int[] {agent[0], agent[1], wall ? 1 : object ? 2 : 0});
                }
                vec.step(actions);
                for (int e = 0; e < envs; e++) {
                    if (!vec.done(e)) {
                        continue;
                    }
                    List<int[]> t = trajectories.get(e);
                    if (quota[e] > 0) {
                        quota[e]--;
                        done++;
                        boolean success = vec.success()[e];
                        String c = success ? (t.size() == shortest[e] ? "success, shortest path" : "success, detour")
                                : failure(t, shortest[e]);
                        classes.merge(c, 1, Integer::sum);
                        failuresNextToTarget += !success && nextToTarget[e] > 0 ? 1 : 0;
                    }
                    t.clear();
                    nextToTarget[e] = 0;
                    GoToObject env = copies.get(e);
                    shortest[e] = distance(env, env.agent()[0], env.agent()[1]);
                }
            }
        }
        int successes = classes.entrySet().stream().filter(c -> c.getKey().startsWith("success"))
                .mapToInt(Map.Entry::getValue).sum();
        System.out.printf("%s, %s, %d episodes: success rate %.3f%n", args[0], mode, episodes,
                successes / (double) episodes);
        classes.forEach((c, n) -> System.out.printf("  %-32s %d%n", c, n));
        System.out.printf("  failures that passed next to the target: %d%n", failuresNextToTarget);
        StringBuilder b = new StringBuilder("  moves that shorten the path, by distance 1, 2, 3, 4, 5+:");
        for (int d = 1; d < 6; d++) {
            b.append(String.format(" %.2f (%d)", shortenedByDistance[d] / (double) Math.max(1, byDistance[d]),
                    byDistance[d]));
        }
        System.out.println(b);
        System.out.printf("  next to the target: steps onto it %.2f when it lies ahead (%d), %.2f aside or behind (%d)%n",
                adjacent[1] / (double) Math.max(1, adjacent[0]), adjacent[0],
                adjacent[3] / (double) Math.max(1, adjacent[2]), adjacent[2]);
    }

    /** Moves from {@code (x, y)} to the target around the distractors (breadth-first); -1 if walled in. */
    private static int distance(GoToObject env, int x, int y) {
        int n = env.size();
        int[] target = env.target();
        int[] dist = new int[n * n];
        Arrays.fill(dist, -1);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        dist[y * n + x] = 0;
        queue.add(y * n + x);
        while (!queue.isEmpty()) {
            int c = queue.poll();
            if (c == target[1] * n + target[0]) {
                return dist[c];
            }
            for (int d = 0; d < 4; d++) {
                int cx = c % n + DX[d];
                int cy = c / n + DY[d];
                if (cx >= 0 && cy >= 0 && cx < n && cy < n && dist[cy * n + cx] < 0 && env.objectAt(cx, cy) <= 0) {
                    dist[cy * n + cx] = dist[c] + 1;
                    queue.add(cy * n + cx);
                }
            }
        }
        return -1;
    }

    /** A failed episode's class, from the cells of its last 10 steps. */
    private static String failure(List<int[]> t, int shortest) {
        if (shortest < 0) {
            return "failure, walled in";
        }
        Set<Integer> cells = new HashSet<>();
        boolean object = false;
        for (int i = Math.max(0, t.size() - 10); i < t.size(); i++) {
            cells.add(t.get(i)[1] * 16 + t.get(i)[0]);
            object |= t.get(i)[2] == 2;
        }
        return switch (cells.size()) {
            case 1 -> object ? "failure, stuck pushing an object" : "failure, stuck pushing a wall";
            case 2 -> "failure, 2-cell oscillation";
            case 3, 4 -> "failure, short loop (3-4 cells)";
            default -> "failure, wandering (5+ cells)";
        };
    }
}
