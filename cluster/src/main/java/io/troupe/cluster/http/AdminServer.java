package io.troupe.cluster.http;

import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.monitor.MetricsHistory;
import io.troupe.core.http.HostCheck;
import io.troupe.environments.EnvRegistry;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Binds the admin routes ({@link AdminRoutes}) on {@code troupe.admin.hostname:port}, over HTTPS when
 * {@code troupe.admin.tls.enabled}; closing unbinds. A non-loopback address without TLS is refused unless
 * {@code troupe.admin.insecure} says so: the bearer token would cross the network in clear.
 */
public final class AdminServer implements AutoCloseable {
    private final ServerBinding binding;
    private final boolean https;
    /** Points of the dashboard's curves held (older ones thinned, {@link MetricsHistory}). */
    static final int HISTORY_POINTS = 2000;
    /** How often the job's latest metrics line is looked at for the dashboard (a line is recorded once). */
    static final Duration SAMPLE_EVERY = Duration.ofMillis(250);

    private final Duration unbind;
    private final Cancellable sampler;

    private AdminServer(ServerBinding binding, boolean https, Duration unbind, Cancellable sampler) {
        this.binding = binding;
        this.https = https;
        this.unbind = unbind;
        this.sampler = sampler;
    }

    /** Starts the server; a port in use, a missing key store or a plain non-loopback bind is a one-line error. */
    public static AdminServer start(ActorSystem<?> system, AdminSettings settings, EnvRegistry envs, JobStatus status) {
        return start(system, settings, envs, status, Optional.empty());
    }

    /**
     * As {@link #start(ActorSystem, AdminSettings, EnvRegistry, JobStatus)}, with the serve role's reads
     * ({@code ServingServer.monitoringReads()}) behind the dashboard's serving panel when this node serves.
     */
    public static AdminServer start(ActorSystem<?> system, AdminSettings settings, EnvRegistry envs, JobStatus status,
                                    Optional<Route> serving) {
        boolean https = settings.tls().enabled();
        if (!https && !settings.insecure() && !isLoopback(settings.hostname())) {
            throw new IllegalArgumentException("admin API: troupe.admin.hostname = " + settings.hostname() + " is not "
                    + "a loopback address: enable troupe.admin.tls (the bearer token must not cross the network in "
                    + "clear), or set troupe.admin.insecure = on behind a TLS-terminating proxy");
        }
        AtomicReference<HostCheck> hosts = new AtomicReference<>();
        MetricsHistory history = new MetricsHistory(HISTORY_POINTS);
        AdminRoutes routes = new AdminRoutes(system, settings, new RewardRegistryClient(system, envs, settings), status,
                history, hosts::get, serving);
        ServerBuilder builder = Http.get(system).newServerAt(settings.hostname(), settings.port());
        if (https) {
            builder = builder.enableHttps(ConnectionContext.httpsServer(settings.tls().serverContext()));
        }
        try {
            ServerBinding b = builder.bind(routes.route()).toCompletableFuture().get(
                    settings.timeouts().bind().toMillis(), TimeUnit.MILLISECONDS);
            hosts.set(new HostCheck(settings.hostname(), b.localAddress().getPort(), settings.allowedHosts(),
                    "this admin API", "troupe.admin.allowed-hosts"));
            // the dashboard's learning curves: every metrics line the job reports, whether or not a page is open
            Cancellable sampler = system.scheduler().scheduleAtFixedRate(Duration.ZERO, SAMPLE_EVERY,
                    () -> history.record(MetricsHistory.numbers(JsonCodec.tree(status.snapshot()))),
                    system.executionContext());
            return new AdminServer(b, https, settings.timeouts().unbind(), sampler);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            String why = c instanceof BindException || String.valueOf(c.getMessage()).contains("in use")
                    ? "the port is in use" : String.valueOf(c.getMessage());
            throw new IllegalStateException("admin API: cannot bind " + settings.hostname() + ":" + settings.port()
                    + ": " + why);
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("admin API: binding " + settings.hostname() + ":" + settings.port()
                    + " did not finish within " + settings.timeouts().bind() + " (troupe.admin.bind-timeout): " + e);
        }
    }

    private static boolean isLoopback(String hostname) {
        try {
            return InetAddress.getByName(hostname).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("troupe.admin.hostname: unknown host '" + hostname + "'");
        }
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** {@code http://host:port} or {@code https://host:port}. */
    public String url() {
        return (https ? "https" : "http") + "://" + binding.localAddress().getHostString() + ":" + port();
    }

    @Override
    public void close() {
        sampler.cancel();
        try {
            // terminate completes by its deadline; twice the deadline leaves the scheduler its slack
            binding.terminate(unbind).toCompletableFuture().get(unbind.multipliedBy(2).toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            // the server goes down with the actor system anyway
        }
    }
}
