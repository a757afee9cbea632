package io.troupe.replay;

import io.troupe.core.DType;
import io.troupe.core.EnvSpec;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Tensor;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Box;
import io.troupe.core.space.Dict;
import io.troupe.core.space.Discrete;
import io.troupe.core.space.Text;
import java.util.List;
import java.util.SplittableRandom;

/** Test items: CartPole-sized and multimodal unrolls. */
public final class Items {
    public static final EnvSpec CARTPOLE = EnvSpec.of("CartPole-v1", Box.uniform(-5, 5, DType.FLOAT32, 4),
            new Discrete(2));
    public static final EnvSpec MULTIMODAL = EnvSpec.of("Grid-v0", Dict.of("image", Box.image(3, 8, 8),
            "mission", Text.of(3, List.of("a", "b", "c")), "state", Box.uniform(0, 1, DType.FLOAT32, 2)),
            new Discrete(4));

    private Items() {
    }

    public static Unroll unroll(EnvSpec spec, String producer, long seq, int length, long policyVersion,
                                long rewardVersion) {
        SplittableRandom rng = new SplittableRandom(seq * 31 + producer.hashCode());
        ObservationBatch obs = ObservationBatch.forSpace(spec.observationSpace(), length + 1);
        for (int r = 0; r <= length; r++) {
            obs.write(r, spec.observationSpace() instanceof Dict d ? d.sample(rng)
                    : Observation.of((Tensor) spec.observationSpace().sample(rng)));
        }
        int n = ((Discrete) spec.actionSpace()).n();
        int[] actions = new int[length];
        float[] rewards = new float[length];
        boolean[] term = new boolean[length];
        boolean[] trunc = new boolean[length];
        float[] truncationValues = new float[length];
        float[] logits = new float[length * n];
        float[] logp = new float[length];
        float[] values = new float[length];
        for (int t = 0; t < length; t++) {
            actions[t] = rng.nextInt(n);
            rewards[t] = (float) rng.nextDouble();
            term[t] = rng.nextInt(20) == 0;
            trunc[t] = !term[t] && rng.nextInt(20) == 0;
            truncationValues[t] = trunc[t] ? (float) rng.nextGaussian() : 0f;
            logp[t] = (float) -rng.nextDouble();
            values[t] = (float) rng.nextGaussian();
            for (int a = 0; a < n; a++) {
                logits[t * n + a] = (float) rng.nextGaussian();
            }
        }
        return new Unroll(producer, seq, obs, actions, new float[0], rewards, term, trunc, logits, logp,
                values, policyVersion, rewardVersion, truncationValues);
    }
}
