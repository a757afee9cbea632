package io.troupe.learners.impala;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.learners.UpdateStep;
import io.troupe.learners.model.GraphScalar;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.util.List;

/**
 * One IMPALA update on unrolls produced by possibly older policies: the current network evaluates every observation,
 * V-trace ({@link VTrace}) corrects for the policy lag, and the loss is
 * {@code -mean(log pi(a|x) * pg_advantage) + vf_coef * 0.5 * mean((vs - V)^2) - ent_coef * entropy}. A non-finite
 * reward or behaviour log-probability (checked before the network sees the batch: V-trace's clipping would otherwise
 * hide an infinite one), loss or gradient skips the update and keeps the weights. Pure update step: no actors.
 */
public final class ImpalaUpdate {

    /**
     * What one update reports.
     *
     * @param approxKl the approximate KL divergence of the current policy from the behaviour policies, the mean of
     *                 {@code (rho - 1) - log rho} over the batch's steps (k3 estimator, from the log-rhos V-trace
     *                 computes anyway)
     */
    public record Stats(double policyLoss, double valueLoss, double entropy, double meanRho, double gradNorm,
                        boolean skipped, long steps, double approxKl) {
    }

    private ImpalaUpdate() {
    }

    public static Stats update(PolicyModel model, Adam adam, List<Unroll> unrolls, ImpalaConfig c, double lr) {
        return update(ModelReplicas.single(model), adam, unrolls, c, lr);
    }

    /**
     * The update on a data-parallel model: the unrolls are split over the replicas, each computes V-trace and the
     * loss of its unrolls (normalized by the whole batch's steps, so the shards' losses add up to the batch's), the
     * gradients are summed into the primary's and {@code adam} (over the primary's parameters) steps it.
     */
    public static Stats update(ModelReplicas replicas, Adam adam, List<Unroll> unrolls, ImpalaConfig c, double lr) {
        int n = unrolls.size();
        int t = unrolls.get(0).length();
        for (Unroll un : unrolls) {
            if (un.length() != t) {
                throw new IllegalArgumentException("IMPALA batch mixes unroll lengths " + t + " and " + un.length());
            }
        }
        if (!UpdateStep.finiteInputs(unrolls)) { // corrupt experience never reaches the network
            return new Stats(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, true, (long) n * t,
                    Double.NaN);
        }
        replicas.broadcastWeights(); // the primary may have been loaded from a checkpoint or weights since
        float steps = n * t;
        double[] out = new double[5];
        adam.zeroGradients();
        replicas.zeroReplicaGradients();
        int[] bounds = replicas.shardBounds(n);
        for (int k = 0; k < replicas.size(); k++) {
            if (bounds[k + 1] == bounds[k]) {
                continue;
            }
            if (!shard(replicas.replica(k), unrolls.subList(bounds[k], bounds[k + 1]), c, steps, out)) {
                return new Stats(Double.NaN, Double.NaN, Double.NaN, out[3] / steps, Double.NaN, true, n * t,
                        Double.NaN);
            }
        }
        replicas.reduceGradients();
        double norm = adam.step((float) lr, (float) c.maxGradNorm());
        if (Double.isFinite(norm)) {
            replicas.broadcastWeights();
        }
        return new Stats(out[0], out[1], out[2], out[3] / steps, norm, !Double.isFinite(norm), (long) n * t,
                out[4] / steps);
    }

    /**
     * Forward, V-trace and backward of some unrolls on one replica, the losses divided by {@code steps} (the whole
     * batch's). Adds policy loss, value loss, entropy, the sum of rhos and the sum of {@code (rho - 1) - log rho} into
     * {@code out}; false if not finite.
     */
    private static boolean shard(PolicyModel model, List<Unroll> unrolls, ImpalaConfig c, float steps, double[] out) {
        int n = unrolls.size();
        int t = unrolls.get(0).length();
        int actions = model.actions();
        // every unroll's T + 1 observations, in one batch: row u * (T + 1) + s
        ObservationBatch all = ObservationBatch.forSpace(model.spec().observationSpace(), n * (t + 1));
        for (int u = 0; u < n; u++) {
            Unroll un = unrolls.get(u);
            for (int s = 0; s <= t; s++) {
                un.observations().copyRow(s, all, u * (t + 1) + s);
            }
        }
        try (NDManager scope = model.manager().newSubManager()) {
            NDList inputs = model.inputs(scope, all, null);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList o = model.forward(inputs, true);
                NDArray logpAll = o.get(0).logSoftmax(-1); // (n*(T+1), A)
                float[] logp = logpAll.toFloatArray();
                float[] values = o.get(1).toFloatArray();
                int[] taken = new int[n * (t + 1)];
                float[] rowMask = new float[n * (t + 1)];
                // per-step targets on the observation rows (the bootstrap rows get mask 0)
                float[] advRows = new float[n * (t + 1)];
                float[] vsRows = new float[n * (t + 1)];
                double rhoSum = 0;
                double klSum = 0;
                for (int u = 0; u < n; u++) {
                    Unroll un = unrolls.get(u);
                    float[] logRhos = new float[t];
                    float[] discounts = new float[t];
                    float[] v = new float[t];
                    for (int s = 0; s < t; s++) {
                        int row = u * (t + 1) + s;
                        int a = un.discreteActions()[s];
                        logRhos[s] = logp[row * actions + a] - un.behaviourLogProbs()[s];
                        double rho = Math.exp(logRhos[s]);
                        rhoSum += rho;
                        klSum += rho - 1 - logRhos[s];
                        discounts[s] = un.terminated()[s] || un.truncated()[s] ? 0f : (float) c.gamma();
                        v[s] = values[row];
                        taken[row] = a;
                        rowMask[row] = 1f;
                    }
                    VTrace.Result r = VTrace.compute(logRhos, discounts, un.rewards(), v, values[u * (t + 1) + t],
                            c.rhoBar(), c.cBar(), c.pgRhoBar(), c.lambda());
                    for (int s = 0; s < t; s++) {
                        advRows[u * (t + 1) + s] = r.pgAdvantages()[s];
                        vsRows[u * (t + 1) + s] = r.vs()[s];
                    }
                }
                out[3] += rhoSum;
                out[4] += klSum;
                Device outputs = model.outputDevice(); // where the last stage's outputs are
                NDArray mask = scope.create(rowMask).toDevice(outputs, false);
                NDArray oneHot = scope.create(taken).toDevice(outputs, false).toType(DataType.INT64, false)
                        .oneHot(actions).toType(DataType.FLOAT32, false);
                // scalars the graph keeps for backward live in the scope (GraphScalar), not in a freed buffer
                NDArray logpTaken = logpAll.mul(oneHot).sum(new int[] {-1});
                NDArray pgLoss = logpTaken.mul(scope.create(advRows).toDevice(outputs, false)).mul(mask).sum()
                        .div(GraphScalar.of(mask, -steps));
                NDArray vLoss = o.get(1).sub(scope.create(vsRows).toDevice(outputs, false)).square().mul(mask)
                        .sum().div(GraphScalar.of(mask, steps)).mul(GraphScalar.of(mask, 0.5f));
                NDArray entropy = logpAll.exp().mul(logpAll).sum(new int[] {-1}).neg().mul(mask).sum()
                        .div(GraphScalar.of(mask, steps));
                NDArray loss = pgLoss.add(vLoss.mul(GraphScalar.of(mask, (float) c.vfCoef())))
                        .sub(entropy.mul(GraphScalar.of(mask, (float) c.entCoef())));
                if (!Float.isFinite(loss.getFloat())) {
                    return false;
                }
                gc.backward(loss);
                out[0] += pgLoss.getFloat();
                out[1] += vLoss.getFloat();
                out[2] += entropy.getFloat();
            }
        }
        return true;
    }
}
