package io.troupe.learners.ppo;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * PPO's hyperparameters, one record; defaults are CleanRL's {@code ppo.py} for CartPole.
 *
 * @param numEnvs          env copies stepped together (4)
 * @param numSteps         steps per env per rollout (128); batch = numEnvs * numSteps
 * @param learningRate     Adam learning rate (2.5e-4)
 * @param annealLr         decay the learning rate linearly to 0 over the run (true)
 * @param gamma            discount (0.99)
 * @param gaeLambda        GAE lambda (0.95)
 * @param numMinibatches   minibatches per epoch (4)
 * @param updateEpochs     passes over each rollout (4)
 * @param normAdv          normalize advantages per minibatch (true)
 * @param clipCoef         surrogate clipping epsilon (0.2)
 * @param clipVloss        clip the value loss as the policy (true)
 * @param entCoef          entropy bonus coefficient (0.01)
 * @param vfCoef           value loss coefficient (0.5)
 * @param maxGradNorm      global gradient-norm clip (0.5)
 * @param totalSteps       env steps the learning-rate schedule spans (500,000)
 * @param targetKl         stop an update's epochs early once a minibatch's approximate KL exceeds this (CleanRL's
 *                         {@code target_kl}; 0 = off, CleanRL's default None)
 * @param entropyFloor     a minibatch whose mean entropy (nats) is below this pays {@code entropyFloorCoef} times the
 *                         shortfall in its loss, a hinge that pushes the entropy back up and does nothing above it
 *                         (0 = off)
 * @param entropyFloorCoef the hinge's weight (0.1)
 */
public record PpoConfig(int numEnvs, int numSteps, double learningRate, boolean annealLr, double gamma,
                        double gaeLambda, int numMinibatches, int updateEpochs, boolean normAdv, double clipCoef,
                        boolean clipVloss, double entCoef, double vfCoef, double maxGradNorm, long totalSteps,
                        double targetKl, double entropyFloor, double entropyFloorCoef) {
    /** The hinge's weight when a config names none. */
    public static final double DEFAULT_ENTROPY_FLOOR_COEF = 0.1;

    public PpoConfig {
        positive("num-envs", numEnvs);
        positive("num-steps", numSteps);
        positive("num-minibatches", numMinibatches);
        positive("update-epochs", updateEpochs);
        positive("total-steps", totalSteps);
        range("learning-rate", learningRate, 0, 1, false);
        range("gamma", gamma, 0, 1, true);
        range("gae-lambda", gaeLambda, 0, 1, true);
        range("clip-coef", clipCoef, 0, 10, false);
        range("ent-coef", entCoef, 0, 10, true);
        range("vf-coef", vfCoef, 0, 10, true);
        range("max-grad-norm", maxGradNorm, 0, 1e6, true);
        range("target-kl", targetKl, 0, 10, true);
        range("entropy-floor", entropyFloor, 0, 10, true);
        range("entropy-floor-coef", entropyFloorCoef, 0, 10, true);
        if ((numEnvs * numSteps) % numMinibatches != 0) {
            throw new IllegalArgumentException("troupe.ppo.num-minibatches = " + numMinibatches
                    + " must divide the batch num-envs * num-steps = " + numEnvs * numSteps);
        }
    }

    /** The same without an entropy floor. */
    public PpoConfig(int numEnvs, int numSteps, double learningRate, boolean annealLr, double gamma, double gaeLambda,
                     int numMinibatches, int updateEpochs, boolean normAdv, double clipCoef, boolean clipVloss,
                     double entCoef, double vfCoef, double maxGradNorm, long totalSteps, double targetKl) {
        this(numEnvs, numSteps, learningRate, annealLr, gamma, gaeLambda, numMinibatches, updateEpochs, normAdv,
                clipCoef, clipVloss, entCoef, vfCoef, maxGradNorm, totalSteps, targetKl, 0,
                DEFAULT_ENTROPY_FLOOR_COEF);
    }

    /** The same without an early stop on KL (target-kl off) and without an entropy floor. */
    public PpoConfig(int numEnvs, int numSteps, double learningRate, boolean annealLr, double gamma, double gaeLambda,
                     int numMinibatches, int updateEpochs, boolean normAdv, double clipCoef, boolean clipVloss,
                     double entCoef, double vfCoef, double maxGradNorm, long totalSteps) {
        this(numEnvs, numSteps, learningRate, annealLr, gamma, gaeLambda, numMinibatches, updateEpochs, normAdv,
                clipCoef, clipVloss, entCoef, vfCoef, maxGradNorm, totalSteps, 0);
    }

    private static void positive(String key, long v) {
        if (v < 1) {
            throw new IllegalArgumentException("troupe.ppo." + key + " must be >= 1, got " + v);
        }
    }

    private static void range(String key, double v, double lo, double hi, boolean loInclusive) {
        if (!(loInclusive ? v >= lo : v > lo) || !(v <= hi)) {
            throw new IllegalArgumentException("troupe.ppo." + key + " must be in " + (loInclusive ? "[" : "(") + lo
                    + ", " + hi + "], got " + v);
        }
    }

    /** CleanRL's defaults. */
    public static PpoConfig cleanRl() {
        return new PpoConfig(4, 128, 2.5e-4, true, 0.99, 0.95, 4, 4, true, 0.2, true, 0.01, 0.5, 0.5, 500_000);
    }

    /** Steps per rollout: numEnvs * numSteps. */
    public int batchSize() {
        return numEnvs * numSteps;
    }

    public int minibatchSize() {
        return batchSize() / numMinibatches;
    }

    /** Learning rate after {@code envSteps} steps (linear decay to 0 over totalSteps when annealing). */
    public double learningRateAt(long envSteps) {
        if (!annealLr) {
            return learningRate;
        }
        return learningRate * Math.max(0.0, 1.0 - (double) envSteps / totalSteps);
    }

    public static PpoConfig fromConfig(Config c) {
        try {
            return new PpoConfig(c.getInt("num-envs"), c.getInt("num-steps"), c.getDouble("learning-rate"),
                    c.getBoolean("anneal-lr"), c.getDouble("gamma"), c.getDouble("gae-lambda"),
                    c.getInt("num-minibatches"), c.getInt("update-epochs"), c.getBoolean("norm-adv"),
                    c.getDouble("clip-coef"), c.getBoolean("clip-vloss"), c.getDouble("ent-coef"),
                    c.getDouble("vf-coef"), c.getDouble("max-grad-norm"), c.getLong("total-steps"),
                    c.getDouble("target-kl"), c.getDouble("entropy-floor"), c.getDouble("entropy-floor-coef"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.ppo: " + e.getMessage(), e);
        }
    }
}
