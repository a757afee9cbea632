package io.troupe.cluster.node;

import com.typesafe.config.Config;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
    /** How long the join report waits for a contact point's answer. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final ActorSystem<?> system;
    private final String url;
    private final BootstrapSettings bootstrap;
    /** The join report's requests to the contact points (null without bootstrap). */
    private final HttpClient probes;

    private NodeManagement(ActorSystem<?> system, String url, BootstrapSettings bootstrap) {
        this.system = system;
        this.url = url;
        this.bootstrap = bootstrap;
        this.probes = bootstrap == null ? null : HttpClient.newBuilder().connectTimeout(PROBE_TIMEOUT).build();
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
     * returns now (one lookup) against how many bootstrap needs, which of them do not answer on their management port
     * (one request each, as bootstrap's probes), and whether this node's own management address is among them (when
     * it is not, the discovery's list is wrong or names this node by another address).
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
            List<ServiceDiscovery.ResolvedTarget> targets = discovery.lookup(lookup, Duration.ofSeconds(3))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS).getAddresses();
            int n = targets.size();
            URI self = URI.create(url);
            List<String> contactPoints = targets.stream()
                    .map(t -> t.host() + ":" + t.getPort().orElse(self.getPort())).toList();
            found = "discovery (" + bootstrap.method() + ") finds " + n + " contact point(s) of service '"
                    + bootstrap.serviceName() + "'" + (n < bootstrap.required() ? ", fewer than the " : "; with the ")
                    + bootstrap.required() + " required (pekko.management.cluster.bootstrap.contact-point-discovery."
                    + "required-contact-point-nr)" + (n < bootstrap.required() ? "" : " they must answer on their "
                    + "management port and agree");
            List<String> silent = notAnswering(contactPoints);
            if (!silent.isEmpty()) {
                found += "; not answering: " + String.join(", ", silent);
            }
            String own = self.getHost() + ":" + self.getPort();
            if (n > 0 && !contactPoints.contains(own)) {
                found += "; this node's own management address " + own + " is not among them (" + String.join(", ",
                        contactPoints) + "): check the discovery's list"
                        + ("config".equals(bootstrap.method()) ? " (pekko.discovery.config.services."
                        + bootstrap.serviceName() + ".endpoints)" : "") + " and --host/--management-port";
            }
        } catch (ExecutionException | InterruptedException | TimeoutException | RuntimeException e) {
            Throwable c = e instanceof ExecutionException ? e.getCause() : e;
            found = "discovery (" + bootstrap.method() + ") fails: " + c;
        }
        return "Cluster Bootstrap has not formed or joined a cluster yet: " + found;
    }

    /** The contact points ({@code host:port}) whose bootstrap route does not answer 200 within the probe timeout. */
    private List<String> notAnswering(List<String> contactPoints) throws InterruptedException {
        Map<String, CompletableFuture<Boolean>> answers = new LinkedHashMap<>();
        for (String contactPoint : contactPoints) {
            answers.put(contactPoint, probes.sendAsync(HttpRequest.newBuilder(URI.create("http://" + contactPoint
                            + "/bootstrap/seed-nodes")).timeout(PROBE_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).handle((r, e) -> e == null && r.statusCode() == 200));
        }
        List<String> silent = new ArrayList<>();
        for (var answer : answers.entrySet()) {
            try {
                if (!answer.getValue().get(PROBE_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                    silent.add(answer.getKey());
                }
            } catch (ExecutionException | TimeoutException e) {
                silent.add(answer.getKey());
            }
        }
        return silent;
    }
}
