package io.troupe.serving.node;

import io.troupe.core.EnvSpec;
import io.troupe.environments.Env;
import io.troupe.learners.model.ModelConfig;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.drift.DriftSettings;
import io.troupe.serving.http.ServingServer;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.ModelSource;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.ServedPolicy;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The {@code serve} role of a cluster node: the job's policy (its env's spaces, its model) served over HTTP, following
 * the versions the learner publishes ({@link WeightsFollower}) without a restart; {@code pin-version} freezes it.
 * Until the first version arrives the policy is not listed and {@code /health/ready} answers 503.
 */
public final class ServeNode implements AutoCloseable {
    private final ServingServer server;
    private final ServedPolicy policy;

    private ServeNode(ServingServer server, ServedPolicy policy) {
        this.server = server;
        this.policy = policy;
    }

    /**
     * Starts the follower and the server on {@code system}; the policy is named after the env, e.g. cartpole-v1. With
     * {@code drift} on, the followed policy's reference profile is recorded from the versions it serves in the envs
     * {@code envs} makes (the job's env as the agents make it), and policies loaded through the admin route are
     * profiled as {@code ./troupe serve} profiles them.
     */
    public static ServeNode start(ActorSystem<?> system, ServingSettings settings, EnvSpec spec, ModelConfig model,
                                  DriftSettings drift, Supplier<? extends Env> envs) {
        ServingMetrics metrics = new ServingMetrics();
        PolicyRegistry registry = new PolicyRegistry();
        String name = spec.id().toLowerCase(Locale.ROOT).replace('/', '.');
        ServedPolicy policy = ServedPolicy.start(name,
                settings.backend().apply(new ModelSource(spec, model, 0, -1)), settings.batcher(), metrics);
        settings.pinVersion().ifPresent(policy::pin);
        ServingServer server;
        try {
            server = ServingServer.start(system, settings, registry, metrics, drift);
        } catch (RuntimeException e) {
            policy.close();
            throw e;
        }
        system.systemActorOf(WeightsFollower.create(policy, registry, drift, envs), "troupe-serve-follower",
                WeightsFollower.dispatcher());
        return new ServeNode(server, policy);
    }

    public ServingServer server() {
        return server;
    }

    public ServedPolicy policy() {
        return policy;
    }

    @Override
    public void close() {
        server.close();
        policy.close(); // closed twice when it was registered: closing is idempotent
    }
}
