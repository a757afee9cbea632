package io.troupe.cluster.http;

import io.troupe.environments.EnvRegistry;
import java.net.BindException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/** Binds the admin routes ({@link AdminRoutes}) on {@code troupe.admin.hostname:port}; closing unbinds. */
public final class AdminServer implements AutoCloseable {
    private final ServerBinding binding;

    private AdminServer(ServerBinding binding) {
        this.binding = binding;
    }

    /** Starts the server; a port in use is a one-line error naming it. */
    public static AdminServer start(ActorSystem<?> system, AdminSettings settings, EnvRegistry envs, JobStatus status) {
        AdminRoutes routes = new AdminRoutes(system, settings, new RewardRegistryClient(system, envs, settings), status);
        try {
            ServerBinding b = Http.get(system).newServerAt(settings.hostname(), settings.port()).bind(routes.route())
                    .toCompletableFuture().get(15, TimeUnit.SECONDS);
            return new AdminServer(b);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            String why = c instanceof BindException || String.valueOf(c.getMessage()).contains("in use")
                    ? "the port is in use" : String.valueOf(c.getMessage());
            throw new IllegalStateException("admin API: cannot bind " + settings.hostname() + ":" + settings.port()
                    + ": " + why);
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("admin API: binding " + settings.hostname() + ":" + settings.port()
                    + " did not finish: " + e);
        }
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return binding.localAddress().getPort();
    }

    public String url() {
        return "http://" + binding.localAddress().getHostString() + ":" + port();
    }

    @Override
    public void close() {
        try {
            binding.terminate(Duration.ofSeconds(3)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            // the server goes down with the actor system anyway
        }
    }
}
