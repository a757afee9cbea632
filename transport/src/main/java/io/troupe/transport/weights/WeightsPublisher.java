package io.troupe.transport.weights;

import io.troupe.core.CrossNode;
import io.troupe.core.PolicyWeights;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * Publishes policy weights of any size across the cluster: the version is announced with Distributed Data
 * ({@link #KEY}, a last-writer-wins register ordered by version), the bytes are served here in chunks under the
 * remote frame size. Keeps the last {@value #KEEP} versions so fetchers that started on an older one can finish.
 *
 * <p>State lost with this actor: the bytes it serves (the learner publishes again on restart); the announcement
 * survives in Distributed Data but points at this actor, so fetchers wait for the next one.
 */
public final class WeightsPublisher extends AbstractBehavior<WeightsPublisher.Command> {
    /** The replicated announcement of the newest weights. */
    public static final Key<LWWRegister<WeightsAnnouncement>> KEY = LWWRegisterKey.create("troupe-policy-weights");
    static final int KEEP = 2;
    /** Push the announcement to every node at once (gossip still repairs a node that missed it). */
    private static final Replicator.WriteConsistency WRITE = new Replicator.WriteAll(Duration.ofSeconds(3));

    public sealed interface Command permits Publish, GetChunk, Announced {
    }

    /** Publishes a new version (from the local learner). */
    public record Publish(PolicyWeights weights, ActorRef<Published> replyTo)
            implements Command, NoSerializationVerificationNeeded {
    }

    /** The version is announced (written to the local replica, spreading by gossip). */
    public record Published(long version) implements NoSerializationVerificationNeeded {
    }

    /** Asks for chunk {@code index} of {@code version}. */
    public record GetChunk(long version, int index, ActorRef<ChunkReply> replyTo) implements Command, CrossNode {
    }

    /** Replies to {@link GetChunk}. */
    public sealed interface ChunkReply extends CrossNode permits Chunk, VersionGone {
    }

    public record Chunk(String modelId, long version, int index, int count, byte[] bytes) implements ChunkReply {
        @Override
        public boolean equals(Object o) {
            return o instanceof Chunk c && version == c.version && index == c.index && Arrays.equals(bytes, c.bytes);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(version) * 31 + index;
        }
    }

    /** The asked version is no longer kept; {@code latest} is. */
    public record VersionGone(long version, long latest) implements ChunkReply {
    }

    /**
     * The same-node fast path: every publication is also put on the local event stream, so fetchers on the learner's
     * own node take the weights object directly (no announcement round, no chunks, no copy). Never leaves the JVM.
     */
    public record LocalWeights(PolicyWeights weights) implements NoSerializationVerificationNeeded {
    }

    private record Announced(long version, ActorRef<Published> replyTo, boolean ok)
            implements Command, NoSerializationVerificationNeeded {
    }

    private final ReplicatorMessageAdapter<Command, LWWRegister<WeightsAnnouncement>> replicator;
    private final SelfUniqueAddress node;
    private final int chunkBytes;
    private final LinkedHashMap<Long, PolicyWeights> kept = new LinkedHashMap<>();
    private long latest = -1;

    private WeightsPublisher(ActorContext<Command> context,
                             ReplicatorMessageAdapter<Command, LWWRegister<WeightsAnnouncement>> replicator,
                             int chunkBytes) {
        super(context);
        this.replicator = replicator;
        this.node = DistributedData.get(context.getSystem()).selfUniqueAddress();
        this.chunkBytes = chunkBytes;
    }

    /** A publisher serving chunks of at most {@code chunkBytes} (keep it well under the remote frame size). */
    public static Behavior<Command> create(int chunkBytes) {
        if (chunkBytes < 1024) {
            throw new IllegalArgumentException("weights chunk size must be >= 1024 bytes, got " + chunkBytes);
        }
        return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, LWWRegister<WeightsAnnouncement>> r) ->
                        new WeightsPublisher(ctx, r, chunkBytes)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Publish.class, this::onPublish)
                .onMessage(GetChunk.class, this::onGetChunk)
                .onMessage(Announced.class, this::onAnnounced)
                .build();
    }

    private Behavior<Command> onPublish(Publish p) {
        PolicyWeights w = p.weights();
        if (w.version() <= latest) {
            throw new IllegalArgumentException("weights version " + w.version() + " is not newer than " + latest);
        }
        kept.put(w.version(), w);
        while (kept.size() > KEEP) {
            kept.remove(kept.keySet().iterator().next());
        }
        latest = w.version();
        getContext().getSystem().eventStream().tell(new EventStream.Publish<>(new LocalWeights(w)));
        int chunks = (int) Math.max(1, (w.bytes().length + (long) chunkBytes - 1) / chunkBytes);
        WeightsAnnouncement a = new WeightsAnnouncement(w.modelId(), w.version(), w.bytes().length, chunks, chunkBytes,
                getContext().getSelf());
        LWWRegister.Clock<WeightsAnnouncement> byVersion = (current, value) -> value.version();
        replicator.askUpdate(replyTo -> new Replicator.Update<>(KEY, LWWRegister.create(node, a, byVersion),
                        WRITE, replyTo, reg -> reg.withValue(node, a, byVersion)),
                response -> new Announced(w.version(), p.replyTo(), response instanceof Replicator.UpdateSuccess));
        return this;
    }

    private Behavior<Command> onAnnounced(Announced a) {
        if (!a.ok()) { // written locally anyway; gossip spreads it to the nodes that did not answer in time
            getContext().getLog().debug("announcing weights version {} did not reach every node in time", a.version());
        }
        if (a.replyTo() != null) {
            a.replyTo().tell(new Published(a.version()));
        }
        return this;
    }

    private Behavior<Command> onGetChunk(GetChunk g) {
        PolicyWeights w = kept.get(g.version());
        if (w == null) {
            g.replyTo().tell(new VersionGone(g.version(), latest));
            return this;
        }
        int count = (int) Math.max(1, (w.bytes().length + (long) chunkBytes - 1) / chunkBytes);
        if (g.index() < 0 || g.index() >= count) {
            g.replyTo().tell(new VersionGone(g.version(), latest));
            return this;
        }
        int from = g.index() * chunkBytes;
        int to = Math.min(w.bytes().length, from + chunkBytes);
        g.replyTo().tell(new Chunk(w.modelId(), w.version(), g.index(), count, Arrays.copyOfRange(w.bytes(), from, to)));
        return this;
    }
}
