package io.troupe.learners.impala;

/**
 * V-trace (Espeholt et al. 2018, IMPALA, section 4.1) for one trajectory of T steps from a behaviour policy mu,
 * evaluated under the target policy pi. With {@code rho_t = min(rhoBar, pi/mu)}, {@code c_t = lambda * min(cBar, pi/mu)}
 * and {@code delta_t = rho_t (r_t + gamma_t V(x_{t+1}) - V(x_t))}, the targets satisfy
 * {@code v_s - V(x_s) = delta_s + gamma_s c_s (v_{s+1} - V(x_{s+1}))}, computed backwards from {@code v_T = V(x_T)}.
 * Policy-gradient advantages are {@code rho_s (r_s + gamma_s v_{s+1} - V(x_s))} with {@code rho} clipped by
 * {@code pgRhoBar}. {@code discounts[t]} is gamma, or 0 where the episode terminated at step t. Pure Java.
 */
public final class VTrace {

    /** Value targets {@code vs} and policy-gradient advantages, length T. */
    public record Result(float[] vs, float[] pgAdvantages) {
    }

    private VTrace() {
    }

    /**
     * @param logRhos      log(pi(a_t|x_t) / mu(a_t|x_t))
     * @param discounts    gamma_t (0 at a terminal step)
     * @param rewards      r_t
     * @param values       V(x_t) under the current value function
     * @param bootstrap    V(x_T)
     */
    public static Result compute(float[] logRhos, float[] discounts, float[] rewards, float[] values, float bootstrap,
                                 double rhoBar, double cBar, double pgRhoBar, double lambda) {
        int t = rewards.length;
        if (logRhos.length != t || discounts.length != t || values.length != t) {
            throw new IllegalArgumentException("v-trace inputs disagree on the length " + t);
        }
        float[] vs = new float[t];
        float[] pg = new float[t];
        double next = 0; // v_{s+1} - V(x_{s+1})
        for (int s = t - 1; s >= 0; s--) {
            double ratio = Math.exp(logRhos[s]);
            double rho = Math.min(rhoBar, ratio);
            double c = lambda * Math.min(cBar, ratio);
            double nextValue = s == t - 1 ? bootstrap : values[s + 1];
            double delta = rho * (rewards[s] + discounts[s] * nextValue - values[s]);
            next = delta + discounts[s] * c * next;
            vs[s] = (float) (values[s] + next);
        }
        for (int s = 0; s < t; s++) {
            double vsNext = s == t - 1 ? bootstrap : vs[s + 1];
            double pgRho = Math.min(pgRhoBar, Math.exp(logRhos[s]));
            pg[s] = (float) (pgRho * (rewards[s] + discounts[s] * vsNext - values[s]));
        }
        return new Result(vs, pg);
    }
}
