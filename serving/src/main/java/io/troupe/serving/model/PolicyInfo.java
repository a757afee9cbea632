package io.troupe.serving.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.edge.contract.PolicyContract;
import java.util.List;

/**
 * What {@code GET /v1/policies/{name}} answers about a served policy.
 *
 * @param name             the policy's name in the URL
 * @param envId            the env it was trained on
 * @param backend          {@code djl} or {@code onnx}
 * @param source           the checkpoint or model file it was loaded from
 * @param modelKind        {@code mlp} or {@code transformer}
 * @param modelId          Troupe's architecture id
 * @param parameters       scalar parameters
 * @param policyVersion    the version served now
 * @param loadedAt         when it was loaded (ISO-8601, UTC)
 * @param observationSpace the observation space (names, shapes, dtypes, bounds, vocabulary and maximum length)
 * @param actionSpace      the action space
 * @param inputs           the observation's fields as a request gives them, one per modality
 * @param batching         the batcher's settings
 * @param pinnedVersion    the version the policy is frozen at, if pinned
 * @param rejectedVersions newer versions that failed the quick check and are not served (newest last)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyInfo(String name, String envId, String backend, String source, String modelKind, String modelId,
                         long parameters, long policyVersion, String loadedAt, JsonNode observationSpace,
                         JsonNode actionSpace, List<PolicyContract.Input> inputs, Batching batching,
                         Long pinnedVersion, List<RejectedVersion> rejectedVersions) {

    /** The batcher's knobs as served. */
    public record Batching(int maxBatchSize, double maxBatchDelayMs, int workers, int jobQueueSize) {
    }

    /** A version that was not served, and why. */
    public record RejectedVersion(long version, String reason) {
    }
}
