package io.troupe.cluster.http;

import io.troupe.cluster.run.JobSnapshot;

/** The running job's latest figures for {@code GET /troupe/status}: called on HTTP threads, so it must be thread-safe. */
@FunctionalInterface
public interface JobStatus {
    JobSnapshot snapshot();
}
