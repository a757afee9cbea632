package io.troupe.serving;

import com.typesafe.config.Config;
import io.troupe.serving.drift.DriftSettings;
import io.troupe.serving.drift.Profiles;
import io.troupe.serving.http.ServingServer;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.PolicySource;
import io.troupe.serving.model.ServedPolicy;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A standalone policy service ({@code ./troupe serve}): an actor system for Pekko HTTP, the policies (each warmed up
 * before the port opens, so {@code /health/ready} is true from the first request) and the server. Closing unbinds,
 * closes the policies and terminates the system.
 */
public final class PolicyService implements AutoCloseable {
    private final ActorSystem<Void> system;
    private final ServingServer server;

    private PolicyService(ActorSystem<Void> system, ServingServer server) {
        this.system = system;
        this.server = server;
    }

    /** Loads {@code sources} (name to source, in order) and serves them; blocking while the models load. */
    public static PolicyService start(Config config, ServingSettings settings, Map<String, PolicySource> sources) {
        return start(config, settings, system -> sources);
    }

    /**
     * As {@link #start(Config, ServingSettings, Map)}, with sources made on the service's actor system (a policy
     * served by pipeline stages on other nodes of its cluster).
     */
    public static PolicyService start(Config config, ServingSettings settings,
                                      Function<ActorSystem<Void>, Map<String, PolicySource>> sources) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "troupe-serve", config);
        ServingMetrics metrics = new ServingMetrics();
        PolicyRegistry registry = new PolicyRegistry();
        try {
            DriftSettings drift = DriftSettings.fromConfig(config.getConfig("troupe.serving.drift"));
            sources.apply(system).forEach((name, source) -> {
                ServedPolicy policy = ServedPolicy.start(name, source, settings.batcher(), metrics);
                registry.add(policy);
                Profiles.attach(policy, source, drift);
            });
            return new PolicyService(system, ServingServer.start(system, settings, registry, metrics, drift));
        } catch (RuntimeException e) {
            registry.close();
            system.terminate();
            throw e;
        }
    }

    public ServingServer server() {
        return server;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    /** Waits until the actor system terminates (SIGTERM runs Pekko's coordinated shutdown). */
    public void awaitTermination() throws InterruptedException {
        try {
            system.getWhenTerminated().toCompletableFuture().get();
        } catch (ExecutionException e) {
            // terminated all the same
        }
    }

    @Override
    public void close() {
        server.close();
        system.terminate();
    }
}
