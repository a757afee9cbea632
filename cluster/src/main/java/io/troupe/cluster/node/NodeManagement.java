package io.troupe.cluster.node;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.discovery.Lookup;
import org.apache.pekko.discovery.ServiceDiscovery;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * Pekko Management on a node ({@code --management-port}, implied by {@code --discovery}): the health routes
 * ({@code /health/ready}: joined and the role actors running, see {@link RoleReadiness}; {@code /health/alive}) and,
 * with a discovery method, Cluster Bootstrap, which finds the other nodes' contact points through discovery, forms a
 * new cluster when none exists (the lowest address joins itself once enough contact points were seen) or joins the
 * existing one.
 */
public final class NodeManagement {
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(15);

    private final ActorSystem<?> system;
    private final String url;
    private final BootstrapSettings bootstrap;

    private NodeManagement(ActorSystem<?> system, String url, BootstrapSettings bootstrap) {
        this.system = system;
        this.url = url;
        this.bootstrap = bootstrap;
    }

    /**
     * What the node's progress report needs from {@code pekko.management.cluster.bootstrap.contact-point-discovery}:
     * the service looked up, the port name, and how many contact points are required.
     */
    record BootstrapSettings(String method, String serviceName, String portName, int required) {
        BootstrapSettings {
            if (required < 1) {
                throw new IllegalArgumentException("pekko.management.cluster.bootstrap.contact-point-discovery."
                        + "required-contact-point-nr must be at least 1, got " + required);
            }
        }

        static BootstrapSettings fromConfig(Config root, String method) {
            Config c = root.getConfig("pekko.management.cluster.bootstrap.contact-point-discovery");
            String service = c.getString("service-name");
            return new BootstrapSettings(method, service.equals("<service-name>") ? NodeSettings.SYSTEM_NAME : service,
                    c.getString("port-name"), c.getInt("required-contact-point-nr"));
        }
    }

    /** Starts Pekko Management and, when the node bootstraps, Cluster Bootstrap; a port in use is a one-line error. */
    public static NodeManagement start(ActorSystem<?> system, NodeSettings node) {
        String url;
        try {
            url = PekkoManagement.get(system).start().toCompletableFuture()
                    .get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).toString();
        } catch (ExecutionException | InterruptedException | TimeoutException e) {
            Throwable c = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("Pekko Management: cannot bind " + node.host() + ":"
                    + node.managementPort() + " (--management-port): " + c.getMessage());
        }
        BootstrapSettings bootstrap = null;
        if (node.bootstraps()) {
            bootstrap = BootstrapSettings.fromConfig(system.settings().config(), node.discovery());
            ClusterBootstrap.get(system).start();
        }
        return new NodeManagement(system, url, bootstrap);
    }

    public String url() {
        return url;
    }

    /**
     * One line on why the node is not in the cluster yet, for the join report: how many contact points discovery
     * returns now (one lookup) against how many bootstrap needs.
     */
    String notJoinedReason() {
        if (bootstrap == null) {
            return null;
        }
        String found;
        try {
            ServiceDiscovery discovery = Discovery.get(system).loadServiceDiscovery(bootstrap.method());
            Lookup lookup = Lookup.create(bootstrap.serviceName());
            if (!bootstrap.portName().isEmpty()) {
                lookup = lookup.withPortName(bootstrap.portName());
            }
            int n = discovery.lookup(lookup, Duration.ofSeconds(3)).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS).getAddresses().size();
            found = "discovery (" + bootstrap.method() + ") finds " + n + " contact point(s) of service '"
                    + bootstrap.serviceName() + "'" + (n < bootstrap.required() ? ", fewer than the " : "; with the ")
                    + bootstrap.required() + " required (pekko.management.cluster.bootstrap.contact-point-discovery."
                    + "required-contact-point-nr)" + (n < bootstrap.required() ? "" : " they must answer on their "
                    + "management port and agree");
        } catch (ExecutionException | InterruptedException | TimeoutException | RuntimeException e) {
            Throwable c = e instanceof ExecutionException ? e.getCause() : e;
            found = "discovery (" + bootstrap.method() + ") fails: " + c;
        }
        return "Cluster Bootstrap has not formed or joined a cluster yet: " + found;
    }
}
