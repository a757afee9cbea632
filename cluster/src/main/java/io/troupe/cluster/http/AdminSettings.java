package io.troupe.cluster.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code troupe.admin} settings, read once. The token comes from the {@code TROUPE_ADMIN_TOKEN} environment
 * variable, else from {@code troupe.admin.token}; there is no default secret: without one, every mutating request is
 * refused.
 */
public record AdminSettings(int port, String hostname, Optional<String> token, int dryRunSteps,
                            Duration writeTimeout) {
    public static final String TOKEN_VARIABLE = "TROUPE_ADMIN_TOKEN";

    public AdminSettings {
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("troupe.admin.port must be -1 (off), 0 (any free port) or 1..65535, got "
                    + port);
        }
        if (token.isPresent() && token.get().length() < 16) {
            throw new IllegalArgumentException("the admin token (" + TOKEN_VARIABLE + " or troupe.admin.token) must "
                    + "have at least 16 characters");
        }
        if (dryRunSteps < 1) {
            throw new IllegalArgumentException("troupe.admin.dry-run-steps must be >= 1, got " + dryRunSteps);
        }
    }

    public boolean enabled() {
        return port >= 0;
    }

    public static AdminSettings fromConfig(Config root, java.util.Map<String, String> environment) {
        try {
            Config c = root.getConfig("troupe.admin");
            String fromEnv = environment.get(TOKEN_VARIABLE);
            String token = fromEnv != null && !fromEnv.isBlank() ? fromEnv.trim() : c.getString("token").trim();
            return new AdminSettings(c.getInt("port"), c.getString("hostname"),
                    token.isEmpty() ? Optional.empty() : Optional.of(token), c.getInt("dry-run-steps"),
                    c.getDuration("write-timeout"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.admin: " + e.getMessage(), e);
        }
    }
}
