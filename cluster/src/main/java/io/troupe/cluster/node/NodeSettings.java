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
 * Where a node runs and what it does: its roles, its Artery host and port, and how it finds its cluster: the seed
 * nodes it joins (none and no discovery: it starts a new cluster) or Cluster Bootstrap with a discovery method
 * ({@code kubernetes-api}, {@code config}); and the port of Pekko Management (health routes, bootstrap's contact point;
 * -1: not started). Validated when read: an unknown role or a malformed seed names the input.
 */
public record NodeSettings(List<String> roles, String host, int port, List<String> seedNodes, String discovery,
                           int managementPort) {
    public static final Set<String> ROLES = Set.of("agent", "replay", "learner", "serve");
    /** Every Troupe node's actor system has this name: nodes of one cluster must share it. */
    public static final String SYSTEM_NAME = "troupe";
    /** The discovery methods of {@code --discovery}. */
    public static final List<String> DISCOVERY_METHODS = List.of("kubernetes-api", "config");
    /** Pekko Management's default port: the one a node with {@code --discovery} serves it on unless told. */
    public static final int DEFAULT_MANAGEMENT_PORT = 7626;
    /** Pekko Management's health routes on a Troupe node (the manifests' probes use them). */
    public static final String READY_PATH = "health/ready";
    public static final String ALIVE_PATH = "health/alive";
    public static final String STARTUP_PATH = "health/startup";

    public NodeSettings {
        roles = List.copyOf(roles);
        seedNodes = List.copyOf(seedNodes);
        discovery = discovery == null ? "" : discovery;
        if (!discovery.isEmpty() && !DISCOVERY_METHODS.contains(discovery)) {
            throw new IllegalArgumentException("--discovery: unknown method '" + discovery + "'; expected "
                    + String.join(" or ", DISCOVERY_METHODS));
        }
        if (!discovery.isEmpty() && !seedNodes.isEmpty()) {
            throw new IllegalArgumentException("--discovery and --seed-nodes exclude each other: Cluster Bootstrap "
                    + "finds the nodes to join through discovery; give one of them");
        }
        if (managementPort < -1 || managementPort > 65535) {
            throw new IllegalArgumentException("--management-port must be in 0..65535, got " + managementPort);
        }
        if (!discovery.isEmpty() && managementPort < 0) {
            throw new IllegalArgumentException("--discovery needs Pekko Management (--management-port): Cluster "
                    + "Bootstrap's nodes probe each other there");
        }
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
        return parse(roles, host, port, seeds, null, null);
    }

    /**
     * As {@link #parse(String, String, int, String)}, with a discovery method (null: none) and Pekko Management's
     * port (null: {@link #DEFAULT_MANAGEMENT_PORT} with discovery, else not started).
     */
    public static NodeSettings parse(String roles, String host, int port, String seeds, String discovery,
                                     Integer managementPort) {
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
        String method = discovery == null ? "" : discovery.trim().toLowerCase(Locale.ROOT);
        int management = managementPort != null ? managementPort : method.isEmpty() ? -1 : DEFAULT_MANAGEMENT_PORT;
        return new NodeSettings(r, host, port, seedList, method, management);
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

    /** Whether this node starts a new cluster (no seed nodes, no discovery): it joins itself. */
    public boolean startsCluster() {
        return seedNodes.isEmpty() && discovery.isEmpty();
    }

    /** Whether the node forms or joins its cluster by Cluster Bootstrap. */
    public boolean bootstraps() {
        return !discovery.isEmpty();
    }

    /** Whether the node serves Pekko Management (health routes; bootstrap's contact point). */
    public boolean managed() {
        return managementPort >= 0;
    }

    /** The node's Pekko settings, over {@code job} (the job config, which may tune any of them). */
    public Config pekkoConfig(Config job) {
        Config management = ConfigFactory.empty();
        if (managed()) {
            management = management
                    .withValue("pekko.management.http.hostname", ConfigValueFactory.fromAnyRef(host))
                    .withValue("pekko.management.http.port", ConfigValueFactory.fromAnyRef(managementPort))
                    // the cluster routes are on the admin port, behind its token: never here, unauthenticated
                    .withValue("pekko.management.http.routes.cluster-management", ConfigValueFactory.fromAnyRef(""))
                    .withValue("pekko.management.health-checks.readiness-path", ConfigValueFactory.fromAnyRef(
                            READY_PATH))
                    .withValue("pekko.management.health-checks.liveness-path", ConfigValueFactory.fromAnyRef(
                            ALIVE_PATH))
                    .withValue("pekko.management.health-checks.startup-path", ConfigValueFactory.fromAnyRef(
                            STARTUP_PATH));
        }
        if (bootstraps()) {
            management = management.withValue("pekko.management.cluster.bootstrap.contact-point-discovery."
                    + "discovery-method", ConfigValueFactory.fromAnyRef(discovery));
        }
        return management
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
                .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles))
                .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedAddresses()))
                .withFallback(job)
                .resolve();
    }
}
