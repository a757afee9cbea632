package io.troupe.learners.ppo;

/**
 * Generalized advantage estimation (Schulman et al. 2016), CleanRL's loop with correct handling of truncation:
 * arrays are time-major ({@code i = t * numEnvs + env}). A terminated step does not bootstrap; a truncated step
 * bootstraps from the value of its final observation ({@code truncationValues[i]}); either way the advantage chain
 * stops at the episode's end.
 */
public final class Gae {
    private Gae() {
    }

    /**
     * Fills {@code advantages} and {@code returns} (= advantages + values).
     *
     * @param lastValues value of each env's observation after the last step
     */
    public static void compute(float[] rewards, float[] values, boolean[] terminated, boolean[] truncated,
                               float[] truncationValues, float[] lastValues, int numEnvs, double gamma,
                               double lambda, float[] advantages, float[] returns) {
        int steps = rewards.length / numEnvs;
        for (int env = 0; env < numEnvs; env++) {
            double lastGaeLam = 0;
            for (int t = steps - 1; t >= 0; t--) {
                int i = t * numEnvs + env;
                double nextValue = t == steps - 1 ? lastValues[env] : values[(t + 1) * numEnvs + env];
                boolean ended = terminated[i] || truncated[i];
                if (truncated[i] && !terminated[i]) {
                    nextValue = truncationValues[i];
                }
                double nonTerminal = terminated[i] ? 0 : 1;
                double delta = rewards[i] + gamma * nextValue * nonTerminal - values[i];
                lastGaeLam = delta + gamma * lambda * (ended ? 0 : 1) * lastGaeLam;
                advantages[i] = (float) lastGaeLam;
                returns[i] = (float) (lastGaeLam + values[i]);
            }
        }
    }

    /** 1 - Var(returns - values) / Var(returns): how much of the return the value function explains. */
    public static double explainedVariance(float[] values, float[] returns) {
        double meanR = 0;
        double meanD = 0;
        int n = returns.length;
        for (int i = 0; i < n; i++) {
            meanR += returns[i];
            meanD += returns[i] - values[i];
        }
        meanR /= n;
        meanD /= n;
        double varR = 0;
        double varD = 0;
        for (int i = 0; i < n; i++) {
            varR += (returns[i] - meanR) * (returns[i] - meanR);
            double d = returns[i] - values[i] - meanD;
            varD += d * d;
        }
        return varR == 0 ? Double.NaN : 1 - varD / varR;
    }
}
