package io.troupe.cluster.node;

import com.typesafe.config.Config;
import io.troupe.actors.reward.RewardFollower;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.JobStatus;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.reward.RewardShaper;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * The admin API for a run that has no actor system of its own (the single-threaded reference loop): a one-node
 * cluster holding the reward registry, the HTTP server, and a follower that offers registry changes to the loop's
 * reward shaper. The cluster run serves the same API from its own node.
 */
public final class AdminNode implements AutoCloseable {
    private final ActorSystem<Void> system;
    private final AdminServer server;

    private AdminNode(ActorSystem<Void> system, AdminServer server) {
        this.system = system;
        this.server = server;
    }

    public static AdminNode start(Config config, AdminSettings admin, EnvRegistry registry, JobStatus status)
            throws Exception {
        ActorSystem<Void> system = EmbeddedNode.start("troupe", EmbeddedNode.config("", config));
        try {
            return new AdminNode(system, AdminServer.start(system, admin, registry, status));
        } catch (RuntimeException e) {
            EmbeddedNode.stop(system);
            throw e;
        }
    }

    /** Offers {@code envId}'s active reward version, and every later one, to {@code shaper}. */
    public void follow(String envId, RewardShaper shaper, Consumer<RewardFollower.Refused> refused) {
        system.systemActorOf(RewardFollower.create(envId, shaper, null, refused), "reward-follower", Props.empty());
    }

    public String url() {
        return server.url();
    }

    @Override
    public void close() throws Exception {
        server.close();
        EmbeddedNode.stop(system);
    }
}
