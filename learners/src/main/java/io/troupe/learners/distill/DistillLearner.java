package io.troupe.learners.distill;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.core.experience.Unroll;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.UpdateStep;
import io.troupe.learners.model.GraphScalar;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * On-policy policy distillation (Rusu et al. 2015, "Policy Distillation"; student-driven data as Czarnecki et al.
 * 2019, "Distilling Policy Distillation", recommend): the agents act with the student, and each batch of their
 * unrolls is labelled here by a frozen teacher with its action distribution and value; the student minimizes
 * {@code KL(teacher || student) + value-coef * (v_student - v_teacher)^2}, averaged over the steps, in
 * {@code update-epochs} passes of {@code num-minibatches} Adam steps. Rewards play no part. Pure: no actors; not
 * thread-safe. Owns the teacher (close it).
 */
public final class DistillLearner implements UpdateStep, AutoCloseable {
    private final ModelReplicas replicas;
    private final Adam adam;
    private final DistillConfig config;
    private final PolicyModel teacher;
    private final SplittableRandom rng;

    /** {@code teacher} is frozen (never stepped) and closed with this learner; {@code rng} shuffles minibatches. */
    public DistillLearner(ModelReplicas replicas, Adam adam, DistillConfig config, PolicyModel teacher,
                          SplittableRandom rng) {
        if (!teacher.spec().id().equals(replicas.primary().spec().id())) {
            throw new IllegalArgumentException("the teacher is a policy for " + teacher.spec().id()
                    + " but the student acts in " + replicas.primary().spec().id());
        }
        this.replicas = replicas;
        this.adam = adam;
        this.config = config;
        this.teacher = teacher;
        this.rng = rng;
    }

    /** The teacher {@code config} names, loaded on {@code device}; an unreadable checkpoint is an error naming it. */
    public static PolicyModel loadTeacher(EnvSpec env, DistillConfig config, Device device) {
        Path folder = config.teacherCheckpoint().orElseThrow(() -> new IllegalArgumentException(
                "troupe.train.algorithm = distill needs troupe.distill.teacher-checkpoint"));
        LearnerCheckpoint.PolicyFiles files;
        try {
            files = LearnerCheckpoint.readPolicy(folder);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("teacher checkpoint " + folder + " is unreadable: " + e.getMessage(), e);
        }
        PolicyModel t = PolicyModel.create(env, config.teacherModel().orElseThrow(), 0, device);
        try {
            t.load(new PolicyWeights(files.modelId(), files.counters().policyVersion(), files.weights()));
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw new IllegalArgumentException("teacher checkpoint " + folder + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String algorithm() {
        return "distill";
    }

    @Override
    public Result update(List<Unroll> unrolls, long envSteps) {
        if (!UpdateStep.finiteInputs(unrolls)) {
            return Result.SKIPPED;
        }
        PolicyModel student = replicas.primary();
        int t = unrolls.get(0).length();
        int n = unrolls.size() * t;
        ObservationBatch obs = ObservationBatch.forSpace(student.spec().observationSpace(), n);
        for (int u = 0; u < unrolls.size(); u++) {
            for (int s = 0; s < t; s++) {
                unrolls.get(u).observations().copyRow(s, obs, u * t + s);
            }
        }
        return train(student, obs);
    }

    /** Labels every row of {@code obs} with the teacher and takes the configured Adam steps on the student. */
    Result train(PolicyModel student, ObservationBatch obs) {
        replicas.broadcastWeights();
        int n = obs.rows();
        PolicyModel.Output labels = teacher.infer(obs);
        float[] teacherProbs = softmax(labels.logits(), teacher.actions());
        int a = teacher.actions();
        int mb = Math.max(1, n / config.numMinibatches());
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double klSum = 0;
        double vSum = 0;
        int done = 0;
        for (int epoch = 0; epoch < config.updateEpochs(); epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int x = order[i];
                order[i] = order[j];
                order[j] = x;
            }
            for (int start = 0; start + mb <= n; start += mb) {
                int[] rows = Arrays.copyOfRange(order, start, start + mb);
                float[] p = new float[mb * a];
                float[] v = new float[mb];
                for (int r = 0; r < mb; r++) {
                    System.arraycopy(teacherProbs, rows[r] * a, p, r * a, a);
                    v[r] = labels.values()[rows[r]];
                }
                try (NDManager scope = student.manager().newSubManager()) {
                    adam.zeroGradients();
                    Device device = student.outputDevice();
                    NDList inputs = student.inputs(scope, obs, rows);
                    NDArray pNd = scope.create(p).reshape(mb, a).toDevice(device, false);
                    NDArray vNd = scope.create(v).toDevice(device, false);
                    double kl;
                    double vl;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDList o = student.forward(inputs, true);
                        NDArray klNd = klLoss(pNd, o.get(0));
                        NDArray vlNd = o.get(1).sub(vNd).square().mean();
                        NDArray loss = klNd.add(vlNd.mul(GraphScalar.of(vlNd, (float) config.valueCoef())));
                        if (!Float.isFinite(loss.getFloat())) {
                            continue;
                        }
                        gc.backward(loss);
                        kl = klNd.getFloat();
                        vl = vlNd.getFloat();
                    }
                    double norm = adam.step((float) config.learningRate(), (float) config.maxGradNorm());
                    if (!Double.isFinite(norm)) {
                        continue;
                    }
                    replicas.broadcastWeights();
                    klSum += kl;
                    vSum += vl;
                    done++;
                }
            }
        }
        return done == 0 ? Result.SKIPPED : new Result(false, klSum / done, vSum / done);
    }

    /** Mean over rows of {@code KL(p || softmax(logits))}; {@code p} holds probabilities (rows x actions). */
    static NDArray klLoss(NDArray p, NDArray logits) {
        NDArray logQ = logits.logSoftmax(-1);
        NDArray logP = p.clip(1e-8f, 1f).log();
        return p.mul(logP.sub(logQ)).sum(new int[] {-1}).mean();
    }

    /** Row-wise softmax of {@code logits} (rows x actions, row-major). */
    public static float[] softmax(float[] logits, int actions) {
        float[] out = new float[logits.length];
        for (int r = 0; r < logits.length / actions; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < actions; j++) {
                max = Math.max(max, logits[r * actions + j]);
            }
            double sum = 0;
            for (int j = 0; j < actions; j++) {
                sum += Math.exp(logits[r * actions + j] - max);
            }
            for (int j = 0; j < actions; j++) {
                out[r * actions + j] = (float) (Math.exp(logits[r * actions + j] - max) / sum);
            }
        }
        return out;
    }

    /** Mean over the rows of {@code obs} of {@code KL(teacher || student)} (what distillation lowers). */
    public static double meanKl(PolicyModel teacher, PolicyModel student, ObservationBatch obs) {
        int a = teacher.actions();
        float[] p = softmax(teacher.infer(obs).logits(), a);
        float[] q = softmax(student.infer(obs).logits(), a);
        double kl = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                kl += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-12)));
            }
        }
        return kl / obs.rows();
    }

    @Override
    public void close() {
        teacher.close();
    }
}
