package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * The running job as {@code GET /troupe/status} shows it: its identity and its latest metrics line; on a node that
 * does not report the run, only the node's roles.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobSnapshot(String runId, String env, Algorithm algorithm, RunMode mode, String node,
                          @JsonUnwrapped MetricsLine latest) {

    /** A node that does not report the run (not the learner's driver): its roles. */
    public static JobSnapshot node(String roles) {
        return new JobSnapshot(null, null, null, null, roles, null);
    }
}
