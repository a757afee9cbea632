package io.troupe.cluster.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * Whether this node's role actors run (agents, replay shards, the learner, the serving endpoint: {@link NodeLifecycle}
 * marks it once it started them). Pekko Management's readiness ({@code /health/ready}) asks it through {@link Check}
 * beside its own cluster-membership check, so a node is ready only once it joined and its part of the job runs.
 */
public final class RoleReadiness implements Extension {
    private static final Id ID = new Id();
    private volatile boolean started;

    public static RoleReadiness get(ActorSystem system) {
        return ID.get(system);
    }

    /** Says the node's role actors run. */
    public void markStarted() {
        started = true;
    }

    public boolean started() {
        return started;
    }

    /** The readiness check (registered in the cluster module's reference.conf). */
    public static final class Check implements Supplier<CompletionStage<Boolean>> {
        private final RoleReadiness readiness;

        public Check(ActorSystem system) {
            this.readiness = RoleReadiness.get(system);
        }

        @Override
        public CompletionStage<Boolean> get() {
            return CompletableFuture.completedFuture(readiness.started());
        }
    }

    private static final class Id extends AbstractExtensionId<RoleReadiness> {
        @Override
        public RoleReadiness createExtension(ExtendedActorSystem system) {
            return new RoleReadiness();
        }
    }
}
