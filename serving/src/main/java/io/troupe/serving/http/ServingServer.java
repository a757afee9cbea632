package io.troupe.serving.http;

import io.troupe.core.http.HostCheck;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.drift.DriftSettings;
import io.troupe.serving.drift.Profiles;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.CheckpointSource;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.PolicySource;
import io.troupe.serving.model.ServedPolicy;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The policy service on {@code troupe.serving.hostname:port}: {@link ServingRoutes} over a {@link PolicyRegistry}, with
 * the Host header check of a loopback bind ({@link ServingSettings#hostCheck}).
 * Policies loaded over HTTP ({@code POST /v1/policies}) are built on a loader thread of its own, never on Pekko's.
 * Closing unbinds and closes every policy.
 */
public final class ServingServer implements AutoCloseable {
    private final ServerBinding binding;
    private final PolicyRegistry registry;
    private final ServingMetrics metrics;
    private final ExecutorService loader;
    private final ServingRoutes routes;

    private ServingServer(ServerBinding binding, PolicyRegistry registry, ServingMetrics metrics,
                          ExecutorService loader, ServingRoutes routes) {
        this.binding = binding;
        this.routes = routes;
        this.registry = registry;
        this.metrics = metrics;
        this.loader = loader;
    }

    /**
     * Binds the routes over {@code registry}; a port in use is a one-line error. Policies loaded through the admin
     * route are not monitored for drift.
     */
    public static ServingServer start(ActorSystem<?> system, ServingSettings settings, PolicyRegistry registry,
                                      ServingMetrics metrics) {
        return start(system, settings, registry, metrics, DriftSettings.OFF);
    }

    /**
     * As {@link #start(ActorSystem, ServingSettings, PolicyRegistry, ServingMetrics)}, and policies loaded through the
     * admin route are monitored for drift as {@code drift} says (their profile is read or recorded as they load).
     */
    public static ServingServer start(ActorSystem<?> system, ServingSettings settings, PolicyRegistry registry,
                                      ServingMetrics metrics, DriftSettings drift) {
        ExecutorService loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "troupe-serve-loader");
            t.setDaemon(true);
            return t;
        });
        AtomicReference<Optional<HostCheck>> hosts = new AtomicReference<>();
        ServingRoutes routes = new ServingRoutes(settings, registry, metrics, new ServingRoutes.Loader() {
            @Override
            public CompletionStage<ServedPolicy> load(String name, String path) {
                return CompletableFuture.supplyAsync(() -> {
                    PolicySource source = settings.backend().apply(CheckpointSource.open(Path.of(path)));
                    ServedPolicy policy = ServedPolicy.start(name, source, settings.batcher(), metrics);
                    try {
                        Profiles.attach(policy, source, drift);
                    } catch (RuntimeException e) { // the load fails: nothing will serve or close this policy
                        policy.close();
                        throw e;
                    }
                    return policy;
                }, loader);
            }

            @Override
            public CompletionStage<Void> close(ServedPolicy policy) {
                return CompletableFuture.runAsync(policy::close, loader);
            }
        }, system.executionContext(), hosts::get);
        try {
            ServerBinding b = Http.get(system).newServerAt(settings.hostname(), settings.port())
                    .adaptSettings(ServingServer::portSettings).bind(routes.handler())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            hosts.set(settings.hostCheck(b.localAddress().getPort()));
            return new ServingServer(b, registry, metrics, loader, routes);
        } catch (ExecutionException e) {
            loader.shutdownNow();
            Throwable c = e.getCause();
            String why = c instanceof BindException || String.valueOf(c.getMessage()).contains("in use")
                    ? "the port is in use" : String.valueOf(c.getMessage());
            throw new IllegalStateException("serving: cannot bind " + settings.hostname() + ":" + settings.port()
                    + ": " + why);
        } catch (InterruptedException | TimeoutException e) {
            loader.shutdownNow();
            throw new IllegalStateException("serving: binding " + settings.hostname() + ":" + settings.port()
                    + " did not finish within 30 s: " + e);
        }
    }

    public int port() {
        return binding.localAddress().getPort();
    }

    /** {@code http://host:port}. */
    public String url() {
        return "http://" + binding.localAddress().getHostString() + ":" + port();
    }

    public PolicyRegistry registry() {
        return registry;
    }

    public ServingMetrics metrics() {
        return metrics;
    }

    /** The dashboard's serving reads for another port to mount ({@link ServingRoutes#monitoringReads()}). */
    public Route monitoringReads() {
        return routes.monitoringReads();
    }

    /**
     * Pekko HTTP's settings for a serving port: the system's, with Pekko's request timeout off. The service times its
     * requests out itself ({@code troupe.serving.request-timeout}: the batcher for act requests, {@link
     * ServingRoutes#handler} for the rest), because Pekko's schedules a timer task per request that its scheduler
     * keeps until the timeout would have passed, answered or not: 20 s of tasks at tens of thousands of requests a
     * second were most of what the young collections copied under load (README, Serving bench).
     */
    public static ServerSettings portSettings(ServerSettings pekko) {
        return pekko.withTimeouts(pekko.getTimeouts().withRequestTimeout(scala.concurrent.duration.Duration.Inf()));
    }

    /** Unbinds (requests in flight get 10 s), then closes every policy. */
    @Override
    public void close() {
        try {
            binding.terminate(Duration.ofSeconds(10)).toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            // the server goes down with the actor system anyway
        }
        loader.shutdownNow();
        registry.close();
    }
}
