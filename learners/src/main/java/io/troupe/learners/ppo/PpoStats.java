package io.troupe.learners.ppo;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What one PPO update reports, with CleanRL's metric names in {@link #figures()}. */
public record PpoStats(double policyLoss, double valueLoss, double entropy, double oldApproxKl, double approxKl,
                       double clipFraction, double explainedVariance, double gradNorm, double learningRate,
                       int minibatches, int skippedMinibatches) {

    /** {@code losses/policy_loss}, ... as in CleanRL: the learner's figures of a metrics line, in this order. */
    public Map<String, Number> figures() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("losses/policy_loss", policyLoss);
        m.put("losses/value_loss", valueLoss);
        m.put("losses/entropy", entropy);
        m.put("losses/old_approx_kl", oldApproxKl);
        m.put("losses/approx_kl", approxKl);
        m.put("losses/clipfrac", clipFraction);
        m.put("losses/explained_variance", explainedVariance);
        m.put("losses/grad_norm", gradNorm);
        m.put("charts/learning_rate", learningRate);
        m.put("losses/skipped_minibatches", skippedMinibatches);
        return Collections.unmodifiableMap(m);
    }
}
