package io.troupe.learners.ppo;

/** What one PPO update reports, with CleanRL's metric names in {@link #asMetrics()}. */
public record PpoStats(double policyLoss, double valueLoss, double entropy, double oldApproxKl, double approxKl,
                       double clipFraction, double explainedVariance, double gradNorm, double learningRate,
                       int minibatches, int skippedMinibatches) {

    /** {@code losses/policy_loss}, ... as in CleanRL. */
    public java.util.Map<String, Object> asMetrics() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
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
        return m;
    }
}
