package io.troupe.transport.weights;

import io.troupe.core.PolicyWeights;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One per node: owns the node's only {@link WeightsFetcher} and hands every complete version to the local
 * subscribers (agents, serving), so a node fetches each version once however many agents it hosts. A new subscriber
 * gets the newest version at once. Subscribers are watched and forgotten when they stop. Obtained through
 * {@link NodeWeights}; never spawned directly.
 *
 * <p>State lost with this actor: the newest version and the subscriber list; it is a system actor that lives as long
 * as the node.
 */
public final class WeightsDistributor extends AbstractBehavior<WeightsDistributor.Command> {

    public sealed interface Command permits Subscribe, Arrived, SubscriberStopped {
    }

    /** {@code subscriber} gets the newest version now (if any) and every newer one after it. */
    public record Subscribe(ActorRef<PolicyWeights> subscriber) implements Command, NoSerializationVerificationNeeded {
    }

    private record Arrived(PolicyWeights weights) implements Command, NoSerializationVerificationNeeded {
    }

    private record SubscriberStopped(ActorRef<PolicyWeights> subscriber)
            implements Command, NoSerializationVerificationNeeded {
    }

    private final Set<ActorRef<PolicyWeights>> subscribers = new LinkedHashSet<>();
    private final ActorRef<WeightsFetcher.Command> fetcher;
    private PolicyWeights latest;

    private WeightsDistributor(ActorContext<Command> context, Duration chunkTimeout, int inFlight) {
        super(context);
        ActorRef<PolicyWeights> self = context.messageAdapter(PolicyWeights.class, Arrived::new);
        this.fetcher = context.spawn(WeightsFetcher.create(self, chunkTimeout, inFlight), "fetcher");
        fetcher.tell(WeightsFetcher.FetchLatest.INSTANCE);
    }

    static Behavior<Command> create(Duration chunkTimeout, int inFlight) {
        return Behaviors.setup(ctx -> new WeightsDistributor(ctx, chunkTimeout, inFlight));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Subscribe.class, this::onSubscribe)
                .onMessage(Arrived.class, this::onArrived)
                .onMessage(SubscriberStopped.class, this::onSubscriberStopped)
                .build();
    }

    private Behavior<Command> onSubscribe(Subscribe s) {
        if (subscribers.add(s.subscriber())) {
            getContext().watchWith(s.subscriber(), new SubscriberStopped(s.subscriber()));
        }
        if (latest != null) {
            s.subscriber().tell(latest);
        } else {
            fetcher.tell(WeightsFetcher.FetchLatest.INSTANCE); // an announcement may predate this node's fetcher
        }
        return this;
    }

    private Behavior<Command> onArrived(Arrived a) {
        if (latest != null && a.weights().version() <= latest.version()) {
            return this;
        }
        latest = a.weights();
        for (ActorRef<PolicyWeights> s : subscribers) {
            s.tell(latest);
        }
        return this;
    }

    private Behavior<Command> onSubscriberStopped(SubscriberStopped s) {
        subscribers.remove(s.subscriber());
        return this;
    }
}
