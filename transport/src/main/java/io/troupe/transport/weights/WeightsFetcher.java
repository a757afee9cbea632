package io.troupe.transport.weights;

import io.troupe.core.PolicyWeights;
import java.time.Duration;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * The receiving end of weight publication on an agent node: follows the replicated announcement, fetches the bytes
 * of each newer version chunk by chunk (a few in flight, retried on timeout), and hands complete {@link PolicyWeights}
 * to {@code deliverTo}. A version superseded while being fetched is dropped for the newest. {@link FetchLatest}
 * re-reads the announcement (for an agent that missed one). Never blocks the agents: they keep acting with the weights
 * they have.
 */
public final class WeightsFetcher extends AbstractBehavior<WeightsFetcher.Command> {
    /** Chunk requests in flight per version unless configured ({@code troupe.transport.weights.chunks-in-flight}). */
    static final int DEFAULT_IN_FLIGHT = 4;

    public sealed interface Command permits FetchLatest, Changed, GotLatest, ChunkReceived, ChunkTimeout, Local {
    }

    /** A publication by a learner on this node (the fast path: the weights object itself). */
    private record Local(WeightsPublisher.LocalWeights local) implements Command, NoSerializationVerificationNeeded {
    }

    /** Asks for the newest announced version now. */
    public enum FetchLatest implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private record Changed(Replicator.SubscribeResponse<LWWRegister<WeightsAnnouncement>> response)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record GotLatest(Replicator.GetResponse<LWWRegister<WeightsAnnouncement>> response)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record ChunkReceived(WeightsPublisher.ChunkReply reply) implements Command, NoSerializationVerificationNeeded {
    }

    private record ChunkTimeout(long version, int index) implements Command, NoSerializationVerificationNeeded {
    }

    private final ActorRef<PolicyWeights> deliverTo;
    private final ReplicatorMessageAdapter<Command, LWWRegister<WeightsAnnouncement>> replicator;
    private final TimerScheduler<Command> timers;
    private final Duration chunkTimeout;
    private final int inFlight;
    private final ActorRef<WeightsPublisher.ChunkReply> chunkAdapter;
    private long delivered = -1;
    private WeightsAnnouncement fetching;
    private byte[] buffer;
    private boolean[] have;
    private int received;
    private int nextToAsk;

    private WeightsFetcher(ActorContext<Command> context, TimerScheduler<Command> timers,
                           ReplicatorMessageAdapter<Command, LWWRegister<WeightsAnnouncement>> replicator,
                           ActorRef<PolicyWeights> deliverTo, Duration chunkTimeout, int inFlight) {
        super(context);
        this.inFlight = inFlight;
        this.timers = timers;
        this.replicator = replicator;
        this.deliverTo = deliverTo;
        this.chunkTimeout = chunkTimeout;
        this.chunkAdapter = context.messageAdapter(WeightsPublisher.ChunkReply.class, ChunkReceived::new);
        replicator.subscribe(WeightsPublisher.KEY, Changed::new);
        context.getSystem().eventStream().tell(new EventStream.Subscribe<>(WeightsPublisher.LocalWeights.class,
                context.messageAdapter(WeightsPublisher.LocalWeights.class, Local::new)));
    }

    public static Behavior<Command> create(ActorRef<PolicyWeights> deliverTo, Duration chunkTimeout) {
        return create(deliverTo, chunkTimeout, DEFAULT_IN_FLIGHT);
    }

    /** A fetcher that keeps up to {@code inFlight} chunk requests outstanding (more hides more round trips). */
    public static Behavior<Command> create(ActorRef<PolicyWeights> deliverTo, Duration chunkTimeout, int inFlight) {
        if (inFlight < 1) {
            throw new IllegalArgumentException("chunks in flight must be >= 1, got " + inFlight);
        }
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, LWWRegister<WeightsAnnouncement>> r) ->
                        new WeightsFetcher(ctx, timers, r, deliverTo, chunkTimeout, inFlight))));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Changed.class, c -> {
                    if (c.response() instanceof Replicator.Changed<LWWRegister<WeightsAnnouncement>> ch) {
                        consider(ch.get(WeightsPublisher.KEY).getValue());
                    }
                    return this;
                })
                .onMessageEquals(FetchLatest.INSTANCE, () -> {
                    replicator.askGet(replyTo -> new Replicator.Get<>(WeightsPublisher.KEY, Replicator.readLocal(),
                            replyTo), GotLatest::new);
                    return this;
                })
                .onMessage(GotLatest.class, g -> {
                    if (g.response() instanceof Replicator.GetSuccess<LWWRegister<WeightsAnnouncement>> ok) {
                        consider(ok.get(WeightsPublisher.KEY).getValue());
                    }
                    return this;
                })
                .onMessage(Local.class, l -> {
                    PolicyWeights w = l.local().weights();
                    if (w.version() > delivered) {
                        if (fetching != null && fetching.version() <= w.version()) {
                            fetching = null; // the same or an older version is on its way in chunks: not needed
                            buffer = null;
                            timers.cancelAll();
                        }
                        delivered = w.version();
                        deliverTo.tell(w);
                    }
                    return this;
                })
                .onMessage(ChunkReceived.class, this::onChunk)
                .onMessage(ChunkTimeout.class, this::onChunkTimeout)
                .build();
    }

    private void consider(WeightsAnnouncement a) {
        if (a == null || a.version() <= delivered || (fetching != null && a.version() <= fetching.version())) {
            return;
        }
        fetching = a;
        buffer = new byte[(int) a.sizeBytes()];
        have = new boolean[a.chunks()];
        received = 0;
        nextToAsk = 0;
        timers.cancelAll();
        while (nextToAsk < Math.min(inFlight, a.chunks())) {
            ask(nextToAsk++);
        }
    }

    private void ask(int index) {
        fetching.publisher().tell(new WeightsPublisher.GetChunk(fetching.version(), index, chunkAdapter));
        timers.startSingleTimer(index, new ChunkTimeout(fetching.version(), index), chunkTimeout);
    }

    private Behavior<Command> onChunk(ChunkReceived r) {
        if (r.reply() instanceof WeightsPublisher.VersionGone gone) {
            if (fetching != null && gone.version() == fetching.version()) {
                fetching = null; // superseded: the newer announcement arrives by subscription, or ask for it
                getContext().getSelf().tell(FetchLatest.INSTANCE);
            }
            return this;
        }
        WeightsPublisher.Chunk c = (WeightsPublisher.Chunk) r.reply();
        if (fetching == null || c.version() != fetching.version() || have[c.index()]) {
            return this;
        }
        timers.cancel(c.index());
        System.arraycopy(c.bytes(), 0, buffer, c.index() * fetching.chunkBytes(), c.bytes().length);
        have[c.index()] = true;
        received++;
        if (nextToAsk < fetching.chunks()) {
            ask(nextToAsk++);
        }
        if (received == fetching.chunks()) {
            delivered = fetching.version();
            deliverTo.tell(new PolicyWeights(fetching.modelId(), fetching.version(), buffer));
            fetching = null;
            buffer = null;
        }
        return this;
    }

    private Behavior<Command> onChunkTimeout(ChunkTimeout t) {
        if (fetching != null && t.version() == fetching.version() && !have[t.index()]) {
            ask(t.index());
        }
        return this;
    }
}
