package io.troupe.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where a node runs and what it does: its roles, its Artery host and port, and the seed nodes it joins (none: it
 * starts a new cluster). Validated when read: an unknown role or a malformed seed names the input.
 */
public record NodeSettings(List<String> roles, String host, int port, List<String> seedNodes) {
    public static final Set<String> ROLES = Set.of("agent", "replay", "learner", "serve");
    /** Every Troupe node's actor system has this name: nodes of one cluster must share it. */
    public static final String SYSTEM_NAME = "troupe";

    public NodeSettings {
        roles = List.copyOf(roles);
        seedNodes = List.copyOf(seedNodes);
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("--roles: give at least one of agent, replay, learner, serve");
        }
        for (String r : roles) {
            if (!ROLES.contains(r)) {
                throw new IllegalArgumentException("--roles: unknown role '" + r
                        + "'; expected agent, replay, learner, serve");
            }
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        for (String s : seedNodes) {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || !s.substring(colon + 1).matches("\\d{1,5}")) {
                throw new IllegalArgumentException("--seed-nodes: '" + s + "' is not HOST:PORT");
            }
        }
    }

    /** Parses {@code agent,replay} and {@code h1:p1,h2:p2}; empty seeds mean this node starts a new cluster. */
    public static NodeSettings parse(String roles, String host, int port, String seeds) {
        List<String> r = new ArrayList<>();
        for (String s : roles.split(",")) {
            if (!s.isBlank()) {
                r.add(s.trim().toLowerCase(Locale.ROOT));
            }
        }
        List<String> seedList = new ArrayList<>();
        if (seeds != null) {
            for (String s : seeds.split(",")) {
                if (!s.isBlank()) {
                    seedList.add(s.trim());
                }
            }
        }
        return new NodeSettings(r, host, port, seedList);
    }

    /**
     * Refuses a node that would bind a non-loopback address without TLS unless {@code insecure}: cluster membership is
     * the trust boundary (a member can write the reward registry and send any registered message), so on a network
     * the nodes must authenticate each other.
     */
    public void requireTrustedTransport(boolean tls, boolean insecure) {
        if (tls || insecure || isLoopback(host)) {
            return;
        }
        throw new IllegalArgumentException("--host " + host + " is not a loopback address and --tls is not given: "
                + "cluster membership is the trust boundary (any member can write the reward registry and send any "
                + "registered message), so a node reachable from a network must use TLS with mutual authentication "
                + "(--tls conf/tls.conf, certificates from scripts/tls-certs.sh). To run without it on a network you "
                + "trust, add --insecure.");
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--host " + host + " is not an address or a host name that resolves "
                    + "here: give an address of this machine");
        }
    }

    /**
     * The seed nodes as Artery addresses; empty when none were given (the node starts a new cluster by joining its own
     * bound address once it started, so {@code --port 0} works for the first node too).
     */
    public List<String> seedAddresses() {
        List<String> out = new ArrayList<>();
        for (String s : seedNodes) {
            out.add("pekko://" + SYSTEM_NAME + "@" + s);
        }
        return out;
    }

    /** Whether this node starts a new cluster (no seed nodes given): it joins itself. */
    public boolean startsCluster() {
        return seedNodes.isEmpty();
    }

    /** The node's Pekko settings, over {@code job} (the job config, which may tune any of them). */
    public Config pekkoConfig(Config job) {
        return ConfigFactory.empty()
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
                .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles))
                .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedAddresses()))
                .withFallback(job)
                .resolve();
    }
}
