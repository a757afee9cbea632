package io.troupe.learners.impala;

import io.troupe.core.experience.Unroll;
import io.troupe.learners.UpdateStep;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.optim.Adam;
import java.util.List;

/**
 * IMPALA as the distributed learner runs it: each batch of unrolls, made by possibly older policies, is one
 * {@link ImpalaUpdate} (V-trace targets from the current network) at the configured learning rate.
 */
public final class ImpalaLearner implements UpdateStep {
    private final ModelReplicas replicas;
    private final Adam adam;
    private final ImpalaConfig config;

    public ImpalaLearner(ModelReplicas replicas, Adam adam, ImpalaConfig config) {
        this.replicas = replicas;
        this.adam = adam;
        this.config = config;
    }

    @Override
    public String algorithm() {
        return "impala";
    }

    @Override
    public Result update(List<Unroll> unrolls, long envSteps) {
        ImpalaUpdate.Stats s = ImpalaUpdate.update(replicas, adam, unrolls, config, config.learningRate());
        return s.skipped() ? Result.SKIPPED : new Result(false, s.policyLoss(), s.valueLoss(), s.entropy(),
                s.approxKl());
    }
}
