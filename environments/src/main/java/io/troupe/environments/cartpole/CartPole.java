package io.troupe.environments.cartpole;

import io.troupe.core.Action;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.space.Box;
import io.troupe.core.space.Discrete;
import io.troupe.environments.AbstractEnv;
import io.troupe.environments.EnvParams;
import io.troupe.environments.RewardFeatures;
import io.troupe.environments.StepOutcome;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.random.RandomGenerator;

/**
 * CartPole-v1 exactly as Gymnasium defines it ({@code gymnasium/envs/classic_control/cartpole.py}): a pole hinged on a
 * cart; action 0 pushes the cart left, 1 right, with force 10 N; explicit Euler with tau = 0.02 s; the episode
 * terminates when |x| > 2.4 or |theta| > 12 degrees; reward +1 on every step, the terminating one included; truncated
 * at 500 steps (by the registry's {@code TimeLimit}); initial state uniform in [-0.05, 0.05]. The state is float64; the
 * observation {@code [x, x_dot, theta, theta_dot]} is float32.
 */
public final class CartPole extends AbstractEnv implements RewardFeatures {
    public static final String ID = "CartPole-v1";

    static final double GRAVITY = 9.8;
    static final double MASS_CART = 1.0;
    static final double MASS_POLE = 0.1;
    static final double TOTAL_MASS = MASS_POLE + MASS_CART;
    /** Half the pole's length. */
    static final double LENGTH = 0.5;
    static final double POLE_MASS_LENGTH = MASS_POLE * LENGTH;
    static final double FORCE_MAG = 10.0;
    static final double TAU = 0.02;
    static final double THETA_THRESHOLD_RADIANS = 12 * 2 * Math.PI / 360;
    static final double X_THRESHOLD = 2.4;

    /** The spec Gymnasium registers: Box(4) observations, Discrete(2) actions, 500 steps, threshold 475. */
    public static final EnvSpec SPEC = new EnvSpec(ID, observationSpace(), new Discrete(2), OptionalInt.of(500),
            OptionalDouble.of(475.0), false);

    private double x;
    private double xDot;
    private double theta;
    private double thetaDot;

    public CartPole() {
        super(SPEC);
    }

    /** Registry constructor; CartPole has no parameters. */
    public CartPole(EnvParams params) {
        this();
    }

    private static Box observationSpace() {
        float high = Float.MAX_VALUE;
        float[] hi = {(float) (X_THRESHOLD * 2), high, (float) (THETA_THRESHOLD_RADIANS * 2), high};
        float[] lo = {-hi[0], -high, -hi[2], -high};
        return Box.float32(lo, hi);
    }

    @Override
    protected void resetState(RandomGenerator rng) {
        x = uniform(rng);
        xDot = uniform(rng);
        theta = uniform(rng);
        thetaDot = uniform(rng);
    }

    private static double uniform(RandomGenerator rng) {
        return -0.05 + 0.1 * rng.nextDouble();
    }

    @Override
    protected void advance(Action action, StepOutcome out) {
        double force = ((Action.Discrete) action).index() == 1 ? FORCE_MAG : -FORCE_MAG;
        double costheta = Math.cos(theta);
        double sintheta = Math.sin(theta);
        double temp = (force + POLE_MASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
        double thetaacc = (GRAVITY * sintheta - costheta * temp)
                / (LENGTH * (4.0 / 3.0 - MASS_POLE * (costheta * costheta) / TOTAL_MASS));
        double xacc = temp - POLE_MASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
        x = x + TAU * xDot;
        xDot = xDot + TAU * xacc;
        theta = theta + TAU * thetaDot;
        thetaDot = thetaDot + TAU * thetaacc;
        out.terminated = x < -X_THRESHOLD || x > X_THRESHOLD
                || theta < -THETA_THRESHOLD_RADIANS || theta > THETA_THRESHOLD_RADIANS;
        out.reward = 1.0;
    }

    @Override
    protected void writeObservation(ObservationBatch out, int row) {
        float[] f = out.floats(0);
        int base = row * 4;
        f[base] = (float) x;
        f[base + 1] = (float) xDot;
        f[base + 2] = (float) theta;
        f[base + 3] = (float) thetaDot;
    }

    /** The float64 state {@code [x, x_dot, theta, theta_dot]}, like Gymnasium's {@code env.unwrapped.state}. */
    /** The state's four fields: cart position and velocity, pole angle (radians) and angular velocity. */
    @Override
    public List<String> rewardFeatureNames() {
        return List.of("x", "x_dot", "theta", "theta_dot");
    }

    @Override
    public void writeRewardFeatures(double[] out, int offset) {
        out[offset] = x;
        out[offset + 1] = xDot;
        out[offset + 2] = theta;
        out[offset + 3] = thetaDot;
    }

    public double[] state() {
        return new double[] {x, xDot, theta, thetaDot};
    }

    /** Sets the float64 state {@code [x, x_dot, theta, theta_dot]} (for checking the dynamics against a reference). */
    public void setState(double... state) {
        if (state.length != 4) {
            throw new IllegalArgumentException("CartPole state has 4 elements [x, x_dot, theta, theta_dot], got "
                    + state.length);
        }
        x = state[0];
        xDot = state[1];
        theta = state[2];
        thetaDot = state[3];
    }
}
