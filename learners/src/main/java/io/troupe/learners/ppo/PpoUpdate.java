package io.troupe.learners.ppo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.troupe.learners.model.GraphScalar;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.parallel.PipelineSchedule;
import java.util.Arrays;
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
        return update(ModelReplicas.single(model), adam, batch, config, lr, rng);
    }

    /**
     * The update on a data-parallel model: each minibatch is split over the replicas, their weighted gradients are
     * summed into the primary's, and {@code adam} (built over the primary's parameters) steps the primary.
     */
    public static PpoStats update(ModelReplicas replicas, Adam adam, RolloutBatch batch, PpoConfig config, double lr,
                                  SplittableRandom rng) {
        replicas.broadcastWeights(); // the primary may have been loaded from a checkpoint or weights since
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
        double lastKl = 0;
        for (int epoch = 0; epoch < config.updateEpochs(); epoch++) {
            if (config.targetKl() > 0 && lastKl > config.targetKl()) {
                break; // CleanRL's target_kl: the policy moved far enough on this rollout
            }
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int start = 0; start + mb <= n; start += mb) { // a remainder below a minibatch is left out
                int[] rows = Arrays.copyOfRange(order, start, start + mb);
                try (NDManager scope = replicas.primary().manager().newSubManager()) {
                    double[] s = minibatch(replicas, adam, batch, config, lr, rows, scope);
                    if (s == null) {
                        skipped++;
                        continue;
                    }
                    pgSum += s[0];
                    vSum += s[1];
                    entSum += s[2];
                    oldKlSum += s[3];
                    klSum += s[4];
                    lastKl = s[4];
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
    private static double[] minibatch(ModelReplicas replicas, Adam adam, RolloutBatch b, PpoConfig c, double lr,
                                      int[] rows, NDManager scope) {
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
        if (c.normAdv() && m > 1) { // over the whole minibatch, before it is split over replicas
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
        double[] out = new double[7];
        adam.zeroGradients();
        replicas.zeroReplicaGradients();
        int[] bounds = replicas.shardBounds(m);
        for (int k = 0; k < replicas.size(); k++) {
            int from = bounds[k];
            int to = bounds[k + 1];
            if (to == from) {
                continue;
            }
            float share = (to - from) / (float) m;
            if (!shard(replicas.replica(k), b, c, rows, from, to, share, actions, oldLogp, oldValues, adv, ret, scope,
                    out)) {
                return null;
            }
        }
        replicas.reduceGradients();
        double norm = adam.step((float) lr, (float) c.maxGradNorm());
        if (!Double.isFinite(norm)) {
            return null;
        }
        replicas.broadcastWeights();
        out[6] = norm;
        return out;
    }

    /**
     * Forward and backward of rows {@code [from, to)} of the minibatch on one replica, its loss weighted by
     * {@code share}; adds the weighted statistics into {@code out}. A replica split into pipeline stages runs GPipe's
     * schedule over {@code troupe.model.parallel.micro-batches} micro-batches ({@link PipelineSchedule}), each
     * micro-batch's loss weighted by its share of the rows. False when a loss is not finite.
     */
    private static boolean shard(PolicyModel model, RolloutBatch b, PpoConfig c, int[] rows, int from, int to,
                                 float share, int[] actions, float[] oldLogp, float[] oldValues, float[] adv,
                                 float[] ret, NDManager scope, double[] out) {
        Device device = model.outputDevice(); // the losses' operands live where the last stage's outputs do
        NDList inputs = model.inputs(scope, b.observations(), Arrays.copyOfRange(rows, from, to));
        float clip = (float) c.clipCoef();
        int n = to - from;
        return PipelineSchedule.forwardBackward(model, inputs, n, model.config().parallel().microBatches(),
                (o, mFrom, mTo) -> {
                    int lo = from + mFrom;
                    int hi = from + mTo;
                    NDArray actionsNd = scope.create(Arrays.copyOfRange(actions, lo, hi)).toDevice(device, false);
                    NDArray oldLogpNd = scope.create(Arrays.copyOfRange(oldLogp, lo, hi)).toDevice(device, false);
                    NDArray oldValuesNd = scope.create(Arrays.copyOfRange(oldValues, lo, hi)).toDevice(device, false);
                    NDArray advNd = scope.create(Arrays.copyOfRange(adv, lo, hi)).toDevice(device, false);
                    NDArray retNd = scope.create(Arrays.copyOfRange(ret, lo, hi)).toDevice(device, false);
                    PpoLosses.Losses l = PpoLosses.compute(o.get(0), o.get(1), actionsNd, oldLogpNd, oldValuesNd,
                            advNd, retNd, c);
                    NDArray loss = l.loss();
                    if (!Float.isFinite(loss.getFloat())) {
                        return null;
                    }
                    float w = mTo - mFrom == n ? share : share * (mTo - mFrom) / n;
                    out[0] += w * l.pgLoss().getFloat();
                    out[1] += w * l.vLoss().getFloat();
                    out[2] += w * l.entropy().getFloat();
                    RatioStats r = RatioStats.of(l.logRatio().toFloatArray(), clip);
                    out[3] += w * r.oldApproxKl();
                    out[4] += w * r.approxKl();
                    out[5] += w * r.clipFraction();
                    return w == 1f ? loss : loss.mul(GraphScalar.of(loss, w));
                });
    }

    /**
     * CleanRL's diagnostics of the probability ratio {@code r = exp(logRatio)} over a minibatch: {@code old_approx_kl}
     * = mean(-logRatio), {@code approx_kl} = mean((r - 1) - logRatio), {@code clipfrac} = mean(|r - 1| > clip). In
     * Java from one read of the log-ratios (in float, as the tensors were): a dozen fewer native calls per minibatch.
     */
    public record RatioStats(double oldApproxKl, double approxKl, double clipFraction) {
        public static RatioStats of(float[] logRatio, float clip) {
            double old = 0;
            double kl = 0;
            int clipped = 0;
            for (float lr : logRatio) {
                float ratio = (float) Math.exp(lr);
                old -= lr;
                kl += (ratio - 1f) - lr;
                if (Math.abs(ratio - 1f) > clip) {
                    clipped++;
                }
            }
            int n = Math.max(1, logRatio.length);
            return new RatioStats(old / n, kl / n, clipped / (double) n);
        }
    }
}
