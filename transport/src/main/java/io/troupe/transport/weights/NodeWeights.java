package io.troupe.transport.weights;

import io.troupe.core.PolicyWeights;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;

/**
 * The node's view of published policy weights: one {@link WeightsDistributor} (and so one fetcher) per ActorSystem,
 * started on first use. Agents and serving subscribe here instead of each fetching every version themselves: with
 * N agents on a node, a 10 MB version used to cross the network N times.
 *
 * <pre>
 * NodeWeights.get(context.getSystem()).subscribe(context.messageAdapter(PolicyWeights.class, WeightsArrived::new));
 * </pre>
 */
public final class NodeWeights implements Extension {
    /** How long a requested chunk may take before it is asked for again. */
    static final String CHUNK_TIMEOUT_KEY = "troupe.transport.weights.chunk-timeout";
    /** How many chunk requests the node's fetcher keeps outstanding. */
    static final String IN_FLIGHT_KEY = "troupe.transport.weights.chunks-in-flight";

    private static final ExtensionId<NodeWeights> ID = new ExtensionId<>() {
        @Override
        public NodeWeights createExtension(ActorSystem<?> system) {
            return new NodeWeights(system);
        }
    };

    private final ActorRef<WeightsDistributor.Command> distributor;

    private NodeWeights(ActorSystem<?> system) {
        Duration chunkTimeout = system.settings().config().getDuration(CHUNK_TIMEOUT_KEY);
        if (chunkTimeout.isNegative() || chunkTimeout.isZero()) {
            throw new IllegalArgumentException(CHUNK_TIMEOUT_KEY + " must be > 0, got " + chunkTimeout);
        }
        int inFlight = system.settings().config().getInt(IN_FLIGHT_KEY);
        if (inFlight < 1 || inFlight > 64) {
            throw new IllegalArgumentException(IN_FLIGHT_KEY + " must be in 1..64, got " + inFlight);
        }
        this.distributor = system.systemActorOf(WeightsDistributor.create(chunkTimeout, inFlight),
                "troupe-node-weights", Props.empty());
    }

    public static NodeWeights get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /** {@code subscriber} gets the newest version now (if one arrived) and every newer one; it is forgotten when it stops. */
    public void subscribe(ActorRef<PolicyWeights> subscriber) {
        distributor.tell(new WeightsDistributor.Subscribe(subscriber));
    }
}
