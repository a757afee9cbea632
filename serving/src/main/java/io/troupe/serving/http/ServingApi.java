package io.troupe.serving.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.troupe.serving.model.PolicyInfo;
import java.util.List;

/** The JSON bodies the policy service answers with (requests are read field by field, see {@link ActRequest}). */
public final class ServingApi {
    private ServingApi() {
    }

    /** {@code GET /v1/policies}. */
    public record PolicyList(List<PolicyInfo> policies) {
    }

    /** {@code POST /v1/policies/{name}/act}: the action, the version that chose it, and what was asked for. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Act(int action, long policyVersion, double[] probs, Float value, Double logp) {
    }

    /** {@code POST /v1/policies/{name}/act-batch}: one entry per observation, in order. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ActBatch(int[] actions, long policyVersion, double[][] probs, float[] values, double[] logp) {
    }

    /** {@code POST /v1/policies/{name}/feedback}: one episode's return as the client saw it. */
    public record Feedback(@JsonProperty("return") Double episodeReturn) {
    }

    /** {@code GET /v1/policies/{name}/drift} and the answer to feedback: the latest comparison and its alarms. */
    public record Drift(String policy, long rows, int windowRows, List<String> features, double[] featurePsi,
                        double[] featureKs, double[] featureKsP, double actionPsi, double valuePsi,
                        double referenceReturn, Long referenceVersion, long feedbackEpisodes,
                        Double meanFeedbackReturn, double pageHinkley, List<String> alarms) {
    }

    /** {@code GET /health/ready} and {@code /health/alive}. */
    public record Health(String status, List<String> policies) {
    }

    /** A pin's state after {@code PUT} or {@code DELETE /v1/policies/{name}/pin}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Pin(String policy, Long pinnedVersion, long policyVersion) {
    }

    /** {@code DELETE /v1/policies/{name}}. */
    public record Unloaded(String policy) {
    }

    /** Every error: what went wrong, and for a bad observation the field's path. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorBody(String error, String field, List<String> policies) {
        public ErrorBody(String error) {
            this(error, null, null);
        }
    }
}
