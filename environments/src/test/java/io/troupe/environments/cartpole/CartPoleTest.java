package io.troupe.environments.cartpole;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.Action;
import io.troupe.core.FloatTensor;
import io.troupe.core.StepResult;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import org.junit.jupiter.api.Test;

class CartPoleTest {
    private static final double EPS = 1e-12;

    private static double[] stepFrom(double[] state, int action) {
        CartPole env = new CartPole();
        env.reset(0);
        env.setState(state);
        env.step(Action.discrete(action));
        return env.state();
    }

    /**
     * Derived by hand from Gymnasium's equations. From the rest state with force +10: sin = 0, cos = 1,
     * temp = 10 / 1.1 = 100/11; denominator = 0.5 * (4/3 - 0.1/1.1) = 41/66; thetaacc = -(100/11) / (41/66) = -600/41;
     * xacc = 100/11 - 0.05 * (-600/41) / 1.1 = 400/41. Euler: x' = 0, x_dot' = 0.02 * 400/41 = 8/41,
     * theta' = 0, theta_dot' = 0.02 * -600/41 = -12/41. Force -10 mirrors it.
     */
    @Test
    void restStateTransitionsMatchHandDerivation() {
        assertArrayEquals(new double[] {0, 8.0 / 41, 0, -12.0 / 41}, stepFrom(new double[4], 1), EPS);
        assertArrayEquals(new double[] {0, -8.0 / 41, 0, 12.0 / 41}, stepFrom(new double[4], 0), EPS);
    }

    /**
     * Pole tilted by theta = 0.1 at rest, pushed right: temp = 10 / 1.1 (no angular velocity);
     * thetaacc = (9.8 sin - cos temp) / (0.5 (4/3 - 0.1 cos^2 / 1.1)); xacc = temp - 0.05 thetaacc cos / 1.1.
     * Only the velocities change in the first Euler step.
     */
    @Test
    void tiltedPoleTransitionMatchesFormula() {
        double th = 0.1;
        double c = Math.cos(th);
        double s = Math.sin(th);
        double temp = 10.0 / 1.1;
        double thacc = (9.8 * s - c * temp) / (0.5 * (4.0 / 3.0 - 0.1 * c * c / 1.1));
        double xacc = temp - 0.05 * thacc * c / 1.1;
        assertArrayEquals(new double[] {0, 0.02 * xacc, th, 0.02 * thacc}, stepFrom(new double[] {0, 0, th, 0}, 1), EPS);
    }

    /** Reference next states computed with Gymnasium's step equations in float64 (Python). */
    @Test
    void matchesGymnasiumReferenceTransitionsWithin1e12() {
        assertArrayEquals(new double[] {0.009600000000000001, -0.21553901710278936, 0.030799999999999998,
            0.34199522377603914}, stepFrom(new double[] {0.01, -0.02, 0.03, 0.04}, 0), EPS);
        assertArrayEquals(new double[] {0.009600000000000001, 0.17467919574755525, 0.030799999999999998,
            -0.2430687179600081}, stepFrom(new double[] {0.01, -0.02, 0.03, 0.04}, 1), EPS);
        assertArrayEquals(new double[] {-1.486, 0.8966732864341995, -0.124, 0.9643679029096106},
                stepFrom(new double[] {-1.5, 0.7, -0.15, 1.3}, 1), EPS);
        assertArrayEquals(new double[] {1.978, -1.2961365226033883, 0.15000000000000002, -2.153250940999876},
                stepFrom(new double[] {2.0, -1.1, 0.2, -2.5}, 0), EPS);
    }

    @Test
    void tenStepTrajectoryMatchesGymnasiumReference() {
        CartPole env = new CartPole();
        env.reset(0);
        env.setState(0.02, 0.1, -0.03, 0.2);
        for (int i = 0; i < 10; i++) {
            env.step(Action.discrete(i % 2));
        }
        assertArrayEquals(new double[] {0.02066181674083057, 0.10025388552232706, 0.0354214401271712,
            0.19440616004781064}, env.state(), EPS);
    }

    @Test
    void observationIsFloat32CastOfState() {
        CartPole env = new CartPole();
        env.reset(7);
        env.setState(0.1234567891234, -0.5, 0.01, 0.3);
        StepResult r = env.step(Action.discrete(1));
        double[] s = env.state();
        float[] obs = ((FloatTensor) r.observation().single()).data();
        for (int i = 0; i < 4; i++) {
            assertEquals((float) s[i], obs[i]);
        }
    }

    @Test
    void terminatesPastThresholdsWithRewardOneOnTheTerminatingStep() {
        CartPole env = new CartPole();
        env.reset(0);
        env.setState(2.399, 1.0, 0, 0); // x' = 2.399 + 0.02 > 2.4
        StepResult r = env.step(Action.discrete(1));
        assertTrue(r.terminated());
        assertFalse(r.truncated());
        assertEquals(1.0, r.reward());

        env.reset(0);
        env.setState(0, 0, -0.2094, -1.0); // theta' = -0.2094 - 0.02 < -12 degrees
        assertTrue(env.step(Action.discrete(0)).terminated());

        env.reset(0);
        env.setState(0, 0, 0.2, 0.1); // theta' = 0.202 < 0.20944
        assertFalse(env.step(Action.discrete(1)).terminated());
    }

    @Test
    void initialStateIsUniformWithinFiveHundredths() {
        CartPole env = new CartPole();
        double min = 1;
        double max = -1;
        for (int seed = 0; seed < 500; seed++) {
            env.reset(seed);
            for (double v : env.state()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertTrue(min >= -0.05 && max <= 0.05, "initial state in [-0.05, 0.05]");
        assertTrue(min < -0.045 && max > 0.045, "initial state covers the interval");
    }

    @Test
    void registeredEnvIsTruncatedAt500StepsUnderABalancingController() {
        Env env = EnvRegistry.defaults().make(CartPole.ID);
        FloatTensor obs = (FloatTensor) env.reset(3).single();
        int steps = 0;
        StepResult r;
        do {
            float[] o = obs.data();
            int action = o[2] + 0.5f * o[3] + 0.01f * o[0] + 0.1f * o[1] > 0 ? 1 : 0;
            r = env.step(Action.discrete(action));
            obs = (FloatTensor) r.observation().single();
            steps++;
        } while (!r.done());
        assertEquals(500, steps);
        assertTrue(r.truncated());
        assertFalse(r.terminated());
        assertEquals(500, env.spec().maxEpisodeSteps().getAsInt());
        assertEquals(475.0, env.spec().rewardThreshold().getAsDouble());
        assertTrue(((EnvWrapper) env).unwrapped() instanceof CartPole);
    }
}
