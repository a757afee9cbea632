package io.troupe.learners.ppo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.util.SplittableRandom;

/**
 * One PPO update (Schulman et al. 2017), as CleanRL's: several epochs over the rollout in shuffled minibatches, the
 * clipped surrogate objective, the (optionally clipped) value loss, an entropy bonus, global gradient-norm clipping.
 * A minibatch whose loss or gradient is not finite is skipped: the weights stay as they were, and it is counted.
 * Pure update step: no actors, no environments.
 */
public final class PpoUpdate {
    private PpoUpdate() {
    }

    public static PpoStats update(PolicyModel model, Adam adam, RolloutBatch batch, PpoConfig config, double lr,
                                  SplittableRandom rng) {
        int n = batch.size();
        int mb = Math.max(1, n / config.numMinibatches());
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double pgSum = 0;
        double vSum = 0;
        double entSum = 0;
        double oldKlSum = 0;
        double klSum = 0;
        double clipSum = 0;
        double gradSum = 0;
        int done = 0;
        int skipped = 0;
        for (int epoch = 0; epoch < config.updateEpochs(); epoch++) {
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start + mb <= n; start += mb) { // a remainder below a minibatch is left out
                int[] rows = java.util.Arrays.copyOfRange(order, start, start + mb);
                try (NDManager scope = model.manager().newSubManager()) {
                    double[] s = minibatch(model, adam, batch, config, lr, rows, scope);
                    if (s == null) {
                        skipped++;
                        continue;
                    }
                    pgSum += s[0];
                    vSum += s[1];
                    entSum += s[2];
                    oldKlSum += s[3];
                    klSum += s[4];
                    clipSum += s[5];
                    gradSum += s[6];
                    done++;
                }
            }
        }
        int k = Math.max(done, 1);
        return new PpoStats(pgSum / k, vSum / k, entSum / k, oldKlSum / k, klSum / k, clipSum / k,
                Gae.explainedVariance(batch.values(), batch.returns()), gradSum / k, lr, done + skipped, skipped);
    }

    /** Returns {policy loss, value loss, entropy, old approx kl, approx kl, clip fraction, grad norm}, or null if skipped. */
    private static double[] minibatch(PolicyModel model, Adam adam, RolloutBatch b, PpoConfig c, double lr, int[] rows,
                                      NDManager scope) {
        int m = rows.length;
        int[] actions = new int[m];
        float[] oldLogp = new float[m];
        float[] oldValues = new float[m];
        float[] adv = new float[m];
        float[] ret = new float[m];
        for (int i = 0; i < m; i++) {
            int r = rows[i];
            actions[i] = b.actions()[r];
            oldLogp[i] = b.logProbs()[r];
            oldValues[i] = b.values()[r];
            adv[i] = b.advantages()[r];
            ret[i] = b.returns()[r];
        }
        if (c.normAdv() && m > 1) {
            double mean = 0;
            for (float a : adv) {
                mean += a;
            }
            mean /= m;
            double var = 0;
            for (float a : adv) {
                var += (a - mean) * (a - mean);
            }
            double std = Math.sqrt(var / (m - 1)); // torch.std is unbiased
            for (int i = 0; i < m; i++) {
                adv[i] = (float) ((adv[i] - mean) / (std + 1e-8));
            }
        }
        NDList inputs = model.inputs(scope, b.observations(), rows);
        NDArray actionsNd = scope.create(actions).toDevice(model.device(), false);
        NDArray oldLogpNd = scope.create(oldLogp).toDevice(model.device(), false);
        NDArray oldValuesNd = scope.create(oldValues).toDevice(model.device(), false);
        NDArray advNd = scope.create(adv).toDevice(model.device(), false);
        NDArray retNd = scope.create(ret).toDevice(model.device(), false);
        float clip = (float) c.clipCoef();
        double[] out = new double[7];
        adam.zeroGradients();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList o = model.forward(inputs, true);
            PpoLosses.Losses l = PpoLosses.compute(o.get(0), o.get(1), actionsNd, oldLogpNd, oldValuesNd, advNd, retNd,
                    c);
            NDArray loss = l.loss();
            NDArray pgLoss = l.pgLoss();
            NDArray vLoss = l.vLoss();
            NDArray entropy = l.entropy();
            NDArray logRatio = l.logRatio();
            NDArray ratio = l.ratio();
            float lossValue = loss.getFloat();
            if (!Float.isFinite(lossValue)) {
                return null;
            }
            gc.backward(loss);
            out[0] = pgLoss.getFloat();
            out[1] = vLoss.getFloat();
            out[2] = entropy.getFloat();
            out[3] = logRatio.neg().mean().getFloat();
            out[4] = ratio.sub(1).sub(logRatio).mean().getFloat();
            out[5] = ratio.sub(1).abs().gt(clip).toType(DataType.FLOAT32, false).mean().getFloat();
        }
        double norm = adam.step((float) lr, (float) c.maxGradNorm());
        if (!Double.isFinite(norm)) {
            return null;
        }
        out[6] = norm;
        return out;
    }
}
