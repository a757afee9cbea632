package io.troupe.serving;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.core.http.BearerToken;
import io.troupe.core.http.HostCheck;
import io.troupe.serving.batch.BatcherSettings;
import io.troupe.serving.model.Backend;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The {@code troupe.serving} settings, read once. The inference token comes from {@code TROUPE_SERVE_TOKEN}, else
 * {@code troupe.serving.token}; the admin token (load, unload, pin) is the admin API's ({@link BearerToken#admin}:
 * {@code TROUPE_ADMIN_TOKEN}, else {@code troupe.admin.token}). Without an admin token every such request is refused.
 * {@link #toString()} never shows a token.
 *
 * @param hostname     the address to bind
 * @param port         the port (0: any free port)
 * @param batcher      the dynamic batcher's knobs
 * @param maxBodyBytes the largest request body ({@code max-body-size}); larger ones get 413
 * @param retryAfter   what a 503 tells the client to wait ({@code retry-after}, whole seconds)
 * @param token        the bearer token of act and act-batch, if inference needs one
 * @param adminToken   the bearer token of load, unload and pin
 * @param pinVersion   a serve node's frozen version ({@code pin-version}; -1 in the config: follow the newest)
 * @param backend      what runs a DJL checkpoint's forward passes ({@code backend}: djl, or onnx on an in-memory export)
 * @param allowedHosts names clients may use in the Host header besides the loopback names ({@code allowed-hosts}),
 *                     when the hostname is a loopback address: any other Host is refused with 421 (DNS rebinding)
 */
public record ServingSettings(String hostname, int port, BatcherSettings batcher, long maxBodyBytes,
                              Duration retryAfter, Optional<String> token, Optional<String> adminToken,
                              OptionalLong pinVersion, Backend backend, List<String> allowedHosts) {
    public static final String TOKEN_VARIABLE = "TROUPE_SERVE_TOKEN";
    public static final String ADMIN_TOKEN_VARIABLE = BearerToken.ADMIN_TOKEN_VARIABLE;

    public ServingSettings {
        if (hostname == null || hostname.isBlank()) {
            throw new IllegalArgumentException("troupe.serving.hostname must be an address such as 127.0.0.1");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("troupe.serving.port must be 0 (any free port) or 1..65535, got "
                    + port);
        }
        if (maxBodyBytes < 1024) {
            throw new IllegalArgumentException("troupe.serving.max-body-size must be >= 1 KiB, got " + maxBodyBytes
                    + " bytes");
        }
        if (retryAfter == null || retryAfter.toSeconds() < 1) {
            throw new IllegalArgumentException("troupe.serving.retry-after must be >= 1s, got " + retryAfter);
        }
        if (pinVersion == null) {
            pinVersion = OptionalLong.empty();
        }
        if (backend == null) {
            throw new IllegalArgumentException("troupe.serving.backend must be djl or onnx, got nothing");
        }
        BearerToken.requireLength(token, "the serving token (" + TOKEN_VARIABLE + " or troupe.serving.token)");
        BearerToken.requireLength(adminToken, "the admin token (" + ADMIN_TOKEN_VARIABLE + " or "
                + BearerToken.ADMIN_TOKEN_KEY + ")");
        allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
        for (String h : allowedHosts) {
            if (h.isBlank() || h.contains("/")) {
                throw new IllegalArgumentException("troupe.serving.allowed-hosts: each entry must be a host name or "
                        + "address such as policy.internal, got '" + h + "'");
            }
        }
    }

    /** Settings without further allowed Host names. */
    public ServingSettings(String hostname, int port, BatcherSettings batcher, long maxBodyBytes, Duration retryAfter,
                           Optional<String> token, Optional<String> adminToken, OptionalLong pinVersion,
                           Backend backend) {
        this(hostname, port, batcher, maxBodyBytes, retryAfter, token, adminToken, pinVersion, backend, List.of());
    }

    /**
     * The Host header check for the bound {@code port} when the hostname is a loopback address (a page on another
     * site whose name was re-pointed at 127.0.0.1 must not reach the service); empty for any other bind, where the
     * service is meant to be reached by names this node cannot know.
     */
    public Optional<HostCheck> hostCheck(int boundPort) {
        try {
            if (!InetAddress.getByName(hostname).isLoopbackAddress()) {
                return Optional.empty();
            }
        } catch (UnknownHostException e) {
            return Optional.empty(); // binding fails first, naming the host
        }
        return Optional.of(new HostCheck(hostname, boundPort, allowedHosts, "this policy service",
                "troupe.serving.allowed-hosts"));
    }

    /** Reads {@code troupe.serving} of {@code root} (and the admin token) with {@code environment}'s tokens on top. */
    public static ServingSettings fromConfig(Config root, Map<String, String> environment) {
        try {
            Config c = root.getConfig("troupe.serving");
            Optional<String> token = BearerToken.read(environment, TOKEN_VARIABLE, c.getString("token"),
                    "troupe.serving.token", "the serving token");
            Optional<String> admin = BearerToken.admin(environment, root.hasPath(BearerToken.ADMIN_TOKEN_KEY)
                    ? root.getString(BearerToken.ADMIN_TOKEN_KEY) : "");
            long pin = c.getLong("pin-version");
            if (pin < -1) {
                throw new IllegalArgumentException("troupe.serving.pin-version must be -1 (follow the newest) or a "
                        + "version >= 0, got " + pin);
            }
            return new ServingSettings(c.getString("hostname"), c.getInt("port"), BatcherSettings.fromConfig(c),
                    c.getBytes("max-body-size"), c.getDuration("retry-after"), token, admin,
                    pin < 0 ? OptionalLong.empty() : OptionalLong.of(pin),
                    Backend.parse(c.getString("backend"), "troupe.serving.backend"),
                    c.hasPath("allowed-hosts") ? c.getStringList("allowed-hosts") : List.of());
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.serving: " + e.getMessage(), e);
        }
    }

    public ServingSettings withBatcher(BatcherSettings b) {
        return new ServingSettings(hostname, port, b, maxBodyBytes, retryAfter, token, adminToken, pinVersion, backend,
                allowedHosts);
    }

    public ServingSettings withAddress(String host, int p) {
        return new ServingSettings(host, p, batcher, maxBodyBytes, retryAfter, token, adminToken, pinVersion, backend,
                allowedHosts);
    }

    @Override
    public String toString() {
        return "ServingSettings[hostname=" + hostname + ", port=" + port + ", batcher=" + batcher + ", maxBodyBytes="
                + maxBodyBytes + ", retryAfter=" + retryAfter + ", token=" + token.map(t -> "<redacted>")
                .orElse("none") + ", adminToken=" + adminToken.map(t -> "<redacted>").orElse("none") + ", pinVersion="
                + pinVersion + ", backend=" + backend.label() + ", allowedHosts=" + allowedHosts + "]";
    }
}
