package io.troupe.learners.prune;

import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Tensor;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Text;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.ppo.RolloutBatch;
import java.util.List;
import java.util.SplittableRandom;

/** CartPole's spaces, random observations and rollouts for the pruning and distillation tests. */
public final class PruneFixtures {
    public static final EnvSpec CARTPOLE = EnvSpec.of("CartPole-v1", Box.uniform(-5, 5, DType.FLOAT32, 4),
            new Discrete(2));

    /** GoToObject's three modalities (image, mission text, state vector), smaller. */
    public static final EnvSpec GRID = EnvSpec.of("GoToObject-v0", Dict.of("image", Box.image(3, 30, 30),
            "mission", Text.of(5, List.of("go", "to", "the", "red", "blue", "ball", "box")),
            "state", Box.uniform(0, 1, DType.FLOAT32, 5)), new Discrete(4));

    private PruneFixtures() {
    }

    /** {@code rows} observations drawn from {@code spec}'s observation space with {@code seed}. */
    public static ObservationBatch observations(EnvSpec spec, int rows, long seed) {
        ObservationBatch b = ObservationBatch.forSpace(spec.observationSpace(), rows);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int r = 0; r < rows; r++) {
            b.write(r, spec.observationSpace() instanceof Dict d ? d.sample(rng)
                    : Observation.of((Tensor) spec.observationSpace().sample(rng)));
        }
        return b;
    }

    /** A rollout of random observations, actions and advantages, with the model's own log-probabilities. */
    public static RolloutBatch rollout(PolicyModel model, int rows, long seed) {
        ObservationBatch obs = observations(model.spec(), rows, seed);
        SplittableRandom rng = new SplittableRandom(seed + 1);
        PolicyModel.Output out = model.infer(obs);
        int a = model.actions();
        int[] actions = new int[rows];
        float[] logp = new float[rows];
        float[] adv = new float[rows];
        float[] ret = new float[rows];
        for (int r = 0; r < rows; r++) {
            actions[r] = rng.nextInt(a);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < a; j++) {
                max = Math.max(max, out.logits()[r * a + j]);
            }
            double sum = 0;
            for (int j = 0; j < a; j++) {
                sum += Math.exp(out.logits()[r * a + j] - max);
            }
            logp[r] = (float) (out.logits()[r * a + actions[r]] - max - Math.log(sum));
            adv[r] = (float) rng.nextGaussian();
            ret[r] = out.values()[r] + (float) rng.nextGaussian();
        }
        return new RolloutBatch(obs, actions, logp, out.values(), adv, ret);
    }
}
