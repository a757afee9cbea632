import ai.djl.Device;
import io.troupe.core.Categorical;
import io.troupe.core.Policy;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.VectorEnv;
import io.troupe.environments.gotoobject.GoToRoom;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.PolicyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Why a GoToObject-Hard-v0 or -Seq-v0 checkpoint's policy fails: plays the episodes `./troupe eval` plays (16 copies
 * of the run's env, the level itself, reset from seed 12345, each copy's first episodes) and classes each failure by
 * what ended it: the object the agent stepped onto instead of the goal (sharing the goal's colour, its type, or
 * neither), a wall at the time limit, or the time limit elsewhere; for the objects that share the goal's type, which
 * colour was taken for which (goal colour -> the colour stepped onto).
 *
 *   java -cp cluster/target/troupe.jar scripts/GoToRoomFailures.java RUN_DIR [EPISODES] [greedy|sampled]
 */
public class GoToRoomFailures {
    private static final int[] DX = {1, 0, -1, 0};
    private static final int[] DY = {0, 1, 0, -1};
    private static final long SEED = 12345;

    public static void main(String[] args) {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: GoToRoomFailures RUN_DIR [EPISODES] [greedy|sampled]");
        }
        int episodes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String mode = args.length > 2 ? args[2] : "greedy";
        if (!List.of("greedy", "sampled").contains(mode)) {
            throw new IllegalArgumentException("mode '" + mode + "': expected greedy or sampled");
        }
        RunCheckpoint run = RunCheckpoint.open(Path.of(args[0]));
        EnvRegistry registry = EnvRegistry.fromConfig(run.config());
        int envs = Math.min(episodes, 16);
        List<GoToRoom> copies = new ArrayList<>();
        for (int i = 0; i < envs; i++) {
            Env env = registry.make(run.envId(), run.envOverrides());
            Env inner = env instanceof EnvWrapper w ? w.unwrapped() : env;
            if (!(inner instanceof GoToRoom room)) {
                throw new IllegalArgumentException(args[0] + " trained " + run.envId() + ", not a GoToRoom level "
                        + "(GoToObject-Hard-v0, GoToObject-Seq-v0)");
            }
            copies.add(room);
        }
        int[] quota = new int[envs];
        for (int e = 0; e < envs; e++) {
            quota[e] = episodes / envs + (e < episodes % envs ? 1 : 0);
        }
        Map<String, Integer> classes = new TreeMap<>();
        Map<String, Integer> colours = new TreeMap<>();
        String[] lastMove = new String[envs];
        String[] confusion = new String[envs];
        SplittableRandom rng = new SplittableRandom(SEED);
        double[] probs = new double[4];
        int successes = 0;
        int done = 0;
        try (PolicyModel model = run.newModel(Device.cpu()); VectorEnv vec = new VectorEnv(copies)) {
            vec.reset(SEED);
            int[] actions = new int[envs];
            while (done < episodes) {
                Policy.Evaluation ev = model.evaluate(vec.observations());
                for (int e = 0; e < envs; e++) {
                    actions[e] = mode.equals("sampled") ? Categorical.sample(ev.logits(), e * 4, 4, probs, rng)
                            : Categorical.argmax(ev.logits(), e * 4, 4);
                    GoToRoom env = copies.get(e);
                    int[] agent = env.agent();
                    int[] goal = env.target();
                    int nx = agent[0] + DX[actions[e]];
                    int ny = agent[1] + DY[actions[e]];
                    confusion[e] = null;
                    if (nx < 0 || ny < 0 || nx >= env.size() || ny >= env.size()) {
                        lastMove[e] = "time limit, pushing a wall";
                        continue;
                    }
                    String object = env.objectAt(nx, ny);
                    String wanted = env.objectAt(goal[0], goal[1]);
                    if (object == null || object.equals(wanted)) {
                        lastMove[e] = "time limit";
                        continue;
                    }
                    String[] o = object.split(" ");
                    String[] w = wanted.split(" ");
                    lastMove[e] = o[0].equals(w[0]) ? "another object, the goal's colour"
                            : o[1].equals(w[1]) ? "another object, the goal's type" : "another object, neither";
                    confusion[e] = o[1].equals(w[1]) ? w[0] + " -> " + o[0] : null;
                }
                vec.step(actions);
                for (int e = 0; e < envs; e++) {
                    if (!vec.done(e) || quota[e] == 0) {
                        continue;
                    }
                    quota[e]--;
                    done++;
                    if (vec.success()[e]) {
                        successes++;
                    } else {
                        // an episode cut by the time limit ran out of time, whatever its last move was (on Seq the
                        // first goal, once reached, may be crossed again)
                        boolean timeUp = vec.truncated()[e];
                        String why = timeUp && !lastMove[e].startsWith("time limit") ? "time limit" : lastMove[e];
                        classes.merge("failure: " + why, 1, Integer::sum);
                        if (!timeUp && confusion[e] != null) {
                            colours.merge(confusion[e], 1, Integer::sum);
                        }
                    }
                }
            }
        }
        System.out.printf("%s, %s, %s, %d episodes: success rate %.3f%n", args[0], run.envId(), mode, episodes,
                successes / (double) episodes);
        classes.forEach((c, n) -> System.out.printf("  %-44s %d%n", c, n));
        System.out.println("  the goal's type, another colour (goal colour -> colour stepped onto):");
        colours.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(c -> System.out.printf("    %-20s %d%n", c.getKey(), c.getValue()));
    }
}
