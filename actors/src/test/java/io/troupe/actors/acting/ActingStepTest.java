package io.troupe.actors.acting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.Categorical;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.VectorEnv;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The acting step on real CartPole copies: sampling, log-probabilities, values, and time-limit cut-offs valued. */
class ActingStepTest {
    private static VectorEnv cartPoles(int k, int maxEpisodeSteps) {
        EnvRegistry registry = EnvRegistry.defaults();
        VectorEnv envs = VectorEnv.of(() -> registry.make("CartPole-v1",
                ConfigFactory.parseString("max-episode-steps = " + maxEpisodeSteps)), k);
        envs.reset(3);
        return envs;
    }

    @Test
    void samplesEachCopysActionFromItsLogitsWithItsLogProbabilityAndValue() {
        LinearPolicy policy = new LinearPolicy();
        try (VectorEnv envs = cartPoles(4, 500)) {
            ActingStep acting = new ActingStep(policy, envs, new SplittableRandom(9));
            SplittableRandom twin = new SplittableRandom(9); // the same stream, drawn in the same order
            double[] probs = new double[2];
            for (int step = 0; step < 20; step++) {
                float[] obs = envs.observations().floats(0).clone();
                ActingStep.Acted acted = acting.act();
                assertEquals(2, acted.numActions());
                for (int e = 0; e < 4; e++) {
                    float[] logits = LinearPolicy.logits(obs, e);
                    int expected = Categorical.sample(logits, 0, 2, probs, twin);
                    assertEquals(expected, acted.actions()[e], "step " + step + " copy " + e);
                    double z = Math.log(Math.exp(logits[0]) + Math.exp(logits[1]));
                    assertEquals(logits[expected] - z, acted.logProbs()[e], 1e-5, "log pi(a|s)");
                    assertEquals(LinearPolicy.value(obs, e), acted.values()[e], 1e-6);
                    assertEquals(logits[1], acted.logits()[e * 2 + 1], 1e-6);
                    assertEquals((float) envs.rewards()[e], acted.rewards()[e]);
                }
            }
        }
    }

    @Test
    void aTimeLimitCutOffIsValuedOnTheEpisodesFinalObservation() {
        LinearPolicy policy = new LinearPolicy();
        try (VectorEnv envs = cartPoles(3, 3)) {
            ActingStep acting = new ActingStep(policy, envs, new SplittableRandom(1));
            acting.act();
            acting.act();
            int before = policy.evaluated.size();
            ActingStep.Acted third = acting.act();
            for (int e = 0; e < 3; e++) {
                assertTrue(third.truncated()[e] && third.cutOff(e), "the time limit of 3 steps cut copy " + e + " off");
            }
            assertEquals(before + 2, policy.evaluated.size(), "one more evaluation: the final observations");
            float[] finalObs = envs.finalObservations().floats(0);
            assertArrayEquals(finalObs, policy.evaluated.get(before + 1));
            for (int e = 0; e < 3; e++) {
                assertEquals(LinearPolicy.value(finalObs, e), third.truncationValues()[e], 1e-6);
                float resetValue = LinearPolicy.value(envs.observations().floats(0), e);
                assertFalse(resetValue == third.truncationValues()[e], "the final observation, not the reset one");
            }
            ActingStep.Acted next = acting.act();
            assertArrayEquals(new float[3], next.truncationValues(), "0 where no episode was cut off");
            assertEquals(before + 3, policy.evaluated.size(), "no extra evaluation without a cut-off");
        }
    }
}
