package io.troupe.learners.ppo;

import io.troupe.core.ObservationBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Space;
import io.troupe.learners.UpdateStep;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.util.List;
import java.util.SplittableRandom;

/**
 * PPO as the distributed learner runs it: a batch of unrolls becomes one rollout ({@link #rollout}: GAE per unroll,
 * bootstrapped from the current network's value of its last observation), then one {@link PpoUpdate} with the
 * learning rate of {@link PpoConfig#learningRateAt} the env steps consumed so far. The update counts as skipped only
 * when every minibatch was (or the input was not finite).
 */
public final class PpoLearner implements UpdateStep {
    private final ModelReplicas replicas;
    private final Adam adam;
    private final PpoConfig config;
    private final SplittableRandom rng;

    /** {@code rng} shuffles the minibatches (derive it from the job's seed). */
    public PpoLearner(ModelReplicas replicas, Adam adam, PpoConfig config, SplittableRandom rng) {
        this.replicas = replicas;
        this.adam = adam;
        this.config = config;
        this.rng = rng;
    }

    @Override
    public String algorithm() {
        return "ppo";
    }

    @Override
    public Result update(List<Unroll> unrolls, long envSteps) {
        if (!UpdateStep.finiteInputs(unrolls)) {
            return Result.SKIPPED;
        }
        PolicyModel model = replicas.primary();
        RolloutBatch batch = rollout(model.spec().observationSpace(), unrolls, bootstrapValues(model, unrolls),
                config.gamma(), config.gaeLambda());
        PpoStats s = PpoUpdate.update(replicas, adam, batch, config, config.learningRateAt(envSteps), rng);
        return new Result(s.skippedMinibatches() == s.minibatches(), s.policyLoss(), s.valueLoss(), s.entropy(),
                s.approxKl());
    }

    /** The current network's value of each unroll's last observation (row T). */
    static float[] bootstrapValues(PolicyModel model, List<Unroll> unrolls) {
        ObservationBatch last = ObservationBatch.forSpace(model.spec().observationSpace(), unrolls.size());
        for (int u = 0; u < unrolls.size(); u++) {
            Unroll un = unrolls.get(u);
            un.observations().copyRow(un.length(), last, u);
        }
        return model.infer(last).values();
    }

    /**
     * The rollout of {@code unrolls} (each of T steps), unroll-major (row {@code u * T + s}; PPO shuffles rows into
     * minibatches, so the order only has to be fixed): GAE per unroll with {@code bootstrap[u]} as the value after its
     * last step. A time limit's cut-off bootstraps from the unroll's truncation value; an unroll without truncation
     * values treats a time limit as the episode's end, as CleanRL does.
     */
    public static RolloutBatch rollout(Space observationSpace, List<Unroll> unrolls, float[] bootstrap, double gamma,
                                       double lambda) {
        int n = unrolls.size();
        int t = unrolls.get(0).length();
        ObservationBatch obs = ObservationBatch.forSpace(observationSpace, n * t);
        int[] actions = new int[n * t];
        float[] logp = new float[n * t];
        float[] values = new float[n * t];
        float[] advantages = new float[n * t];
        float[] returns = new float[n * t];
        float[] a = new float[t];
        float[] r = new float[t];
        for (int u = 0; u < n; u++) {
            Unroll un = unrolls.get(u);
            if (un.length() != t) {
                throw new IllegalArgumentException("a PPO batch mixes unroll lengths " + t + " and " + un.length());
            }
            for (int s = 0; s < t; s++) {
                un.observations().copyRow(s, obs, u * t + s);
            }
            if (un.hasTruncationValues()) {
                Gae.compute(un.rewards(), un.values(), un.terminated(), un.truncated(), un.truncationValues(),
                        new float[] {bootstrap[u]}, 1, gamma, lambda, a, r);
            } else {
                boolean[] ended = new boolean[t];
                for (int s = 0; s < t; s++) {
                    ended[s] = un.terminated()[s] || un.truncated()[s];
                }
                Gae.compute(un.rewards(), un.values(), ended, new boolean[t], new float[t],
                        new float[] {bootstrap[u]}, 1, gamma, lambda, a, r);
            }
            System.arraycopy(un.discreteActions(), 0, actions, u * t, t);
            System.arraycopy(un.behaviourLogProbs(), 0, logp, u * t, t);
            System.arraycopy(un.values(), 0, values, u * t, t);
            System.arraycopy(a, 0, advantages, u * t, t);
            System.arraycopy(r, 0, returns, u * t, t);
        }
        return new RolloutBatch(obs, actions, logp, values, advantages, returns);
    }
}
