package io.troupe.cluster.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.core.http.BearerToken;
import io.troupe.environments.reward.RewardCompiler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code troupe.admin} settings, read once. The token comes from the {@code TROUPE_ADMIN_TOKEN} environment
 * variable, else from {@code troupe.admin.token}; there is no default secret: without one, every mutating request is
 * refused. Secrets never leave this record in clear: {@link #toString()} and {@link #redact(String)} replace them.
 *
 * @param port              -1 (off), 0 (any free port) or the port
 * @param hostname          the address to bind; requests must name it (or one of {@code allowedHosts}) in their
 *                          Host header
 * @param token             the bearer token of mutating requests
 * @param dryRunSteps       transitions simulated to validate a reward before it becomes active (at most
 *                          {@code maxDryRunSteps})
 * @param writeTimeout      how long a registry write waits for a majority of nodes
 * @param tls               HTTPS on the admin port
 * @param allowedHosts      further names clients may use in the Host header (a DNS name of the node)
 * @param insecure          serve plain HTTP on a non-loopback address (the token travels in clear)
 * @param maxDryRunSteps    the most transitions one dry run may simulate ({@code max-dry-run-steps})
 * @param maxPendingDryRuns dry runs running or waiting for a thread of {@value #DRY_RUN_DISPATCHER}; one more is
 *                          refused at once ({@code max-pending-dry-runs})
 * @param javaCallBudget    a Java-class reward's time budget per call in dry runs, as on agents
 *                          ({@code troupe.reward.java-call-budget})
 * @param timeouts          how long the API and its CLI client wait
 */
public record AdminSettings(int port, String hostname, Optional<String> token, int dryRunSteps,
                            Duration writeTimeout, AdminTls tls, List<String> allowedHosts, boolean insecure,
                            int maxDryRunSteps, int maxPendingDryRuns, Duration javaCallBudget,
                            AdminTimeouts timeouts) {
    /** The dispatcher (in {@code reference.conf}) that runs reward dry runs: a small fixed pool of its own. */
    public static final String DRY_RUN_DISPATCHER = "troupe.admin.dry-run-dispatcher";
    /** The most steps {@code max-dry-run-steps} may allow. */
    public static final int DRY_RUN_STEPS_LIMIT = 1_000_000;
    public static final String TOKEN_VARIABLE = BearerToken.ADMIN_TOKEN_VARIABLE;
    /** The config keys that hold secrets: whatever writes a config (a run's config.conf, logs) must redact them. */
    public static final List<String> SECRET_KEYS = List.of(BearerToken.ADMIN_TOKEN_KEY,
            "troupe.admin.tls.key-store-password");
    private static final String REDACTED = "<redacted>";

    public AdminSettings {
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("troupe.admin.port must be -1 (off), 0 (any free port) or 1..65535, got "
                    + port);
        }
        if (hostname == null || hostname.isBlank()) {
            throw new IllegalArgumentException("troupe.admin.hostname must be an address such as 127.0.0.1");
        }
        BearerToken.requireLength(token, "the admin token (" + TOKEN_VARIABLE + " or " + BearerToken.ADMIN_TOKEN_KEY
                + ")");
        if (maxDryRunSteps < 1 || maxDryRunSteps > DRY_RUN_STEPS_LIMIT) {
            throw new IllegalArgumentException("troupe.admin.max-dry-run-steps must be in 1.." + DRY_RUN_STEPS_LIMIT
                    + ", got " + maxDryRunSteps);
        }
        if (dryRunSteps < 1 || dryRunSteps > maxDryRunSteps) {
            throw new IllegalArgumentException("troupe.admin.dry-run-steps must be in 1.." + maxDryRunSteps
                    + " (troupe.admin.max-dry-run-steps), got " + dryRunSteps);
        }
        if (maxPendingDryRuns < 1) {
            throw new IllegalArgumentException("troupe.admin.max-pending-dry-runs must be >= 1, got "
                    + maxPendingDryRuns);
        }
        if (javaCallBudget == null || javaCallBudget.isNegative() || javaCallBudget.isZero()) {
            throw new IllegalArgumentException("troupe.reward.java-call-budget must be > 0, got " + javaCallBudget);
        }
        if (timeouts == null) {
            throw new IllegalArgumentException("the troupe.admin timeouts are missing");
        }
        allowedHosts = List.copyOf(allowedHosts);
        for (String h : allowedHosts) {
            if (h.isBlank() || h.contains("/") || h.contains(" ")) {
                throw new IllegalArgumentException("troupe.admin.allowed-hosts: '" + h + "' is not a host name");
            }
        }
    }

    /** The dry-run limits and timeouts of {@code reference.conf}: for tests and tools. */
    public AdminSettings(int port, String hostname, Optional<String> token, int dryRunSteps, Duration writeTimeout,
                         AdminTls tls, List<String> allowedHosts, boolean insecure) {
        this(port, hostname, token, dryRunSteps, writeTimeout, tls, allowedHosts, insecure,
                Reference.ADMIN.getInt("max-dry-run-steps"), Reference.ADMIN.getInt("max-pending-dry-runs"),
                RewardCompiler.javaCallBudget(Reference.ROOT), AdminTimeouts.fromConfig(Reference.ADMIN));
    }

    /** Plain HTTP, no further host names: the loopback setup of tests and tools. */
    public AdminSettings(int port, String hostname, Optional<String> token, int dryRunSteps, Duration writeTimeout) {
        this(port, hostname, token, dryRunSteps, writeTimeout, AdminTls.DISABLED, List.of(), false);
    }

    /** The defaults of {@code reference.conf}, loaded once when a short constructor first needs them. */
    private static final class Reference {
        static final Config ROOT = ConfigFactory.defaultReference();
        static final Config ADMIN = ROOT.getConfig("troupe.admin");
    }

    public boolean enabled() {
        return port >= 0;
    }

    /** The token and the TLS passwords: what must never be written or answered. */
    public List<String> secrets() {
        List<String> out = new ArrayList<>();
        token.ifPresent(out::add);
        if (!tls.keyStorePassword().isEmpty()) {
            out.add(tls.keyStorePassword());
        }
        return out;
    }

    /** {@code text} with every secret (also in its JSON-escaped form) replaced by {@code <redacted>}. */
    public String redact(String text) {
        String out = text;
        for (String secret : secrets()) {
            out = out.replace(secret, REDACTED);
            String escaped = JsonCodec.write(secret);
            out = out.replace(escaped.substring(1, escaped.length() - 1), REDACTED);
        }
        return out;
    }

    @Override
    public String toString() {
        return "AdminSettings[port=" + port + ", hostname=" + hostname + ", token=" + token.map(t -> REDACTED)
                .orElse("none") + ", dryRunSteps=" + dryRunSteps + ", writeTimeout=" + writeTimeout + ", tls=" + tls
                + ", allowedHosts=" + allowedHosts + ", insecure=" + insecure + ", maxDryRunSteps=" + maxDryRunSteps
                + ", maxPendingDryRuns=" + maxPendingDryRuns + ", javaCallBudget=" + javaCallBudget + ", timeouts="
                + timeouts + "]";
    }

    public static AdminSettings fromConfig(Config root, Map<String, String> environment) {
        try {
            Config c = root.getConfig("troupe.admin");
            return new AdminSettings(c.getInt("port"), c.getString("hostname"),
                    BearerToken.admin(environment, c.getString("token")), c.getInt("dry-run-steps"),
                    c.getDuration("write-timeout"), AdminTls.fromConfig(c.getConfig("tls"), environment),
                    c.getStringList("allowed-hosts"), c.getBoolean("insecure"), c.getInt("max-dry-run-steps"),
                    c.getInt("max-pending-dry-runs"), RewardCompiler.javaCallBudget(root), AdminTimeouts.fromConfig(c));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.admin: " + e.getMessage(), e);
        }
    }
}
