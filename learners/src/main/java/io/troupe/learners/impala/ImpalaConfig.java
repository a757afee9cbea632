package io.troupe.learners.impala;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * IMPALA's hyperparameters, one record (defaults from the paper's Atari settings, scaled to small envs).
 *
 * @param learningRate  optimizer learning rate (6e-4)
 * @param gamma         discount (0.99)
 * @param rhoBar        truncation of importance weights in the value targets (1.0)
 * @param cBar          truncation of the trace coefficients (1.0)
 * @param pgRhoBar      truncation of importance weights in the policy gradient (1.0)
 * @param lambda        trace mixing (1.0: plain V-trace)
 * @param entCoef       entropy bonus (0.01)
 * @param vfCoef        value loss coefficient (0.5)
 * @param maxGradNorm   global gradient-norm clip (40)
 * @param batchUnrolls  unrolls per update (16), spread over the replay shards
 */
public record ImpalaConfig(double learningRate, double gamma, double rhoBar, double cBar, double pgRhoBar,
                           double lambda, double entCoef, double vfCoef, double maxGradNorm, int batchUnrolls) {
    public ImpalaConfig {
        check("learning-rate", learningRate > 0 && learningRate < 1, learningRate, "in (0, 1)");
        check("gamma", gamma >= 0 && gamma <= 1, gamma, "in [0, 1]");
        check("rho-bar", rhoBar > 0, rhoBar, "> 0");
        check("c-bar", cBar > 0, cBar, "> 0");
        check("pg-rho-bar", pgRhoBar > 0, pgRhoBar, "> 0");
        check("lambda", lambda >= 0 && lambda <= 1, lambda, "in [0, 1]");
        check("ent-coef", entCoef >= 0, entCoef, ">= 0");
        check("vf-coef", vfCoef >= 0, vfCoef, ">= 0");
        check("max-grad-norm", maxGradNorm >= 0, maxGradNorm, ">= 0");
        if (batchUnrolls < 1) {
            throw new IllegalArgumentException("troupe.impala.batch-unrolls is " + batchUnrolls
                    + "; expected the unrolls per update, an integer >= 1");
        }
    }

    private static void check(String key, boolean ok, double value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("troupe.impala." + key + " is " + value + "; expected a number "
                    + expected);
        }
    }

    public static ImpalaConfig defaults() {
        return new ImpalaConfig(6e-4, 0.99, 1.0, 1.0, 1.0, 1.0, 0.01, 0.5, 40.0, 16);
    }

    public static ImpalaConfig fromConfig(Config c) {
        try {
            return new ImpalaConfig(c.getDouble("learning-rate"), c.getDouble("gamma"), c.getDouble("rho-bar"),
                    c.getDouble("c-bar"), c.getDouble("pg-rho-bar"), c.getDouble("lambda"), c.getDouble("ent-coef"),
                    c.getDouble("vf-coef"), c.getDouble("max-grad-norm"), c.getInt("batch-unrolls"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.impala: " + e.getMessage(), e);
        }
    }
}
