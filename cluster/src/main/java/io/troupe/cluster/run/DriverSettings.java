package io.troupe.cluster.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * The {@code troupe.driver} settings of a cluster run's {@link JobDriver}, read once; every error names the key.
 *
 * @param pollInterval   how often the agents' episodes are drained and the target checked
 * @param metricsTimeout how long the run-metrics singleton may take to answer a drain
 * @param statusTimeout  how long the learner may take to answer a status request
 */
public record DriverSettings(Duration pollInterval, Duration metricsTimeout, Duration statusTimeout) {
    public DriverSettings {
        positive("poll-interval", pollInterval);
        positive("metrics-timeout", metricsTimeout);
        positive("status-timeout", statusTimeout);
    }

    private static void positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("troupe.driver." + key + " must be positive, got " + d);
        }
    }

    /** Reads {@code troupe.driver} from a resolved config. */
    public static DriverSettings fromConfig(Config root) {
        try {
            Config c = root.getConfig("troupe.driver");
            return new DriverSettings(c.getDuration("poll-interval"), c.getDuration("metrics-timeout"),
                    c.getDuration("status-timeout"));
        } catch (ConfigException.Missing | ConfigException.WrongType | ConfigException.BadValue e) {
            throw new IllegalArgumentException("troupe.driver: " + e.getMessage(), e);
        }
    }
}
