import ai.djl.Device;
import io.troupe.core.Categorical;
import io.troupe.core.Policy;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.PolicyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How much a trained multimodal policy uses each modality: plays a checkpoint's greedy policy on its env (the run's own
 * registration and overrides, the level itself: a curriculum is not started), each copy's first episodes from
 * `./troupe eval`'s seed, with every observation intact (full), its mission replaced by padding (mute: token id 0) or
 * its image all black (blind), and prints the success rate of each.
 *
 *   java -cp cluster/target/troupe.jar scripts/ModalityEval.java RUN_DIR [EPISODES]
 */
public class ModalityEval {
    private static final long SEED = 12345;

    public static void main(String[] args) {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: ModalityEval RUN_DIR [EPISODES]");
        }
        int episodes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        RunCheckpoint run = RunCheckpoint.open(Path.of(args[0]));
        EnvRegistry registry = EnvRegistry.fromConfig(run.config());
        for (String mode : List.of("full", "mute", "blind")) {
            System.out.printf("%s, %s, greedy, %d episodes: success rate %.3f%n", run.envId(), mode, episodes,
                    successRate(run, registry, episodes, mode));
        }
    }

    private static double successRate(RunCheckpoint run, EnvRegistry registry, int episodes, String mode) {
        int envs = Math.min(episodes, 16);
        int[] quota = new int[envs];
        for (int e = 0; e < envs; e++) {
            quota[e] = episodes / envs + (e < episodes % envs ? 1 : 0);
        }
        try (PolicyModel model = run.newModel(Device.cpu());
             VectorEnv vec = VectorEnv.of(() -> registry.make(run.envId(), run.envOverrides()), envs)) {
            List<String> names = new ArrayList<>(((Dict) vec.spec().observationSpace()).spaces().keySet());
            int image = names.indexOf("image");
            int mission = names.indexOf("mission");
            if (image < 0 || mission < 0) {
                throw new IllegalArgumentException(run.envId() + " has no image and mission modalities: " + names);
            }
            int n = ((Discrete) vec.spec().actionSpace()).n();
            vec.reset(SEED);
            int[] actions = new int[envs];
            int done = 0;
            int successes = 0;
            while (done < episodes) {
                if (mode.equals("blind")) {
                    Arrays.fill(vec.observations().bytes(image), (byte) 0);
                } else if (mode.equals("mute")) {
                    Arrays.fill(vec.observations().ints(mission), 0);
                }
                Policy.Evaluation ev = model.evaluate(vec.observations());
                for (int e = 0; e < envs; e++) {
                    actions[e] = Categorical.argmax(ev.logits(), e * n, n);
                }
                vec.step(actions);
                for (int e = 0; e < envs; e++) {
                    if (vec.done(e) && quota[e] > 0) {
                        quota[e]--;
                        done++;
                        successes += vec.success()[e] ? 1 : 0;
                    }
                }
            }
            return successes / (double) episodes;
        }
    }
}
