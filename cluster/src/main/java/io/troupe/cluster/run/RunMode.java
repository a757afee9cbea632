package io.troupe.cluster.run;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/**
 * Where a run trains: the single-threaded reference loop, the embedded one-node cluster of {@code train}, or the
 * cluster of {@code node} processes.
 */
public enum RunMode {
    REFERENCE("reference"),
    CLUSTER("cluster"),
    CLUSTER_NODES("cluster-nodes");

    private final String id;

    RunMode(String id) {
        this.id = id;
    }

    /** The id in configs and reports ({@code cluster-nodes}). */
    @JsonValue
    public String id() {
        return id;
    }

    /** The mode with id {@code id}; an unknown id is an error naming {@code key} and the known ids. */
    public static RunMode parse(String key, String id) {
        for (RunMode m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException(key + ": unknown mode '" + id + "'; available: "
                + String.join(", ", Arrays.stream(values()).map(RunMode::id).toList()));
    }

    @Override
    public String toString() {
        return id;
    }
}
