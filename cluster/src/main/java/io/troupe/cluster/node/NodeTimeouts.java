package io.troupe.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * The {@code troupe.node} timeouts of a node's lifecycle, read once; every error names the key.
 *
 * @param joinReportInterval how often a node that has not joined yet says it is still trying
 * @param jobCheckTimeout    how long the job-settings check may wait for a majority of nodes
 * @param upTimeout          how long the embedded node may take to become Up
 * @param jobEndWriteTimeout how long raising the job-done flag may wait for a majority of nodes
 * @param stopStageTimeout   how long each stage of a clean stop (agents, replay) may take
 * @param terminateTimeout   how long leaving the cluster and terminating may take
 */
public record NodeTimeouts(Duration joinReportInterval, Duration jobCheckTimeout, Duration upTimeout,
                           Duration jobEndWriteTimeout, Duration stopStageTimeout, Duration terminateTimeout) {
    public NodeTimeouts {
        positive("join-report-interval", joinReportInterval);
        positive("job-check-timeout", jobCheckTimeout);
        positive("up-timeout", upTimeout);
        positive("job-end-write-timeout", jobEndWriteTimeout);
        positive("stop-stage-timeout", stopStageTimeout);
        positive("terminate-timeout", terminateTimeout);
    }

    private static void positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("troupe.node." + key + " must be positive, got " + d);
        }
    }

    /** Reads {@code troupe.node} from a resolved config. */
    public static NodeTimeouts fromConfig(Config root) {
        try {
            Config c = root.getConfig("troupe.node");
            return new NodeTimeouts(c.getDuration("join-report-interval"), c.getDuration("job-check-timeout"),
                    c.getDuration("up-timeout"), c.getDuration("job-end-write-timeout"),
                    c.getDuration("stop-stage-timeout"), c.getDuration("terminate-timeout"));
        } catch (ConfigException.Missing | ConfigException.WrongType | ConfigException.BadValue e) {
            throw new IllegalArgumentException("troupe.node: " + e.getMessage(), e);
        }
    }
}
