package io.troupe.actors.reward;

import io.troupe.core.reward.RewardHistory;
import io.troupe.core.reward.RewardSpec;
import io.troupe.environments.reward.RewardCompiler;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.transport.registry.RewardRegistry;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * Follows one env's reward history in the registry and offers its active version, compiled on this node, to a
 * {@link RewardShaper} (whose copies adopt it at their next switch point). It reads the local replica once at start and
 * tells {@code ready} the active version (so acting can wait for it), then follows every change. A version that does
 * not compile here (say, a plugin class missing from this node's class path) is refused, reported through
 * {@code refused}, and the shaper keeps what it has. A Java class's calls get {@code troupe.reward.java-call-budget}.
 */
public final class RewardFollower extends AbstractBehavior<RewardFollower.Command> {

    public sealed interface Command permits Read, Changed {
    }

    private record Read(Replicator.GetResponse<LWWRegister<RewardHistory>> response)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record Changed(Replicator.SubscribeResponse<LWWRegister<RewardHistory>> response)
            implements Command, NoSerializationVerificationNeeded {
    }

    /** The active version was read at start (0 when the registry holds nothing for the env). */
    public record Ready(long activeVersion) implements NoSerializationVerificationNeeded {
    }

    /** A version this node cannot use, and why. */
    public record Refused(RewardSpec spec, String reason) implements NoSerializationVerificationNeeded {
    }

    private final RewardShaper shaper;
    private final ActorRef<Ready> ready;
    private final Consumer<Refused> refused;
    private final Duration javaCallBudget;

    private RewardFollower(ActorContext<Command> context, String envId, RewardShaper shaper, ActorRef<Ready> ready,
                           Consumer<Refused> refused,
                           ReplicatorMessageAdapter<Command, LWWRegister<RewardHistory>> registry) {
        super(context);
        this.javaCallBudget = RewardCompiler.javaCallBudget(context.getSystem().settings().config());
        this.shaper = shaper;
        this.ready = ready;
        this.refused = refused;
        Key<LWWRegister<RewardHistory>> key = RewardRegistry.key(envId);
        registry.askGet(replyTo -> new Replicator.Get<>(key, Replicator.readLocal(), replyTo), Read::new);
        registry.subscribe(key, Changed::new);
    }

    /**
     * @param ready   told once, after the first read (may be null)
     * @param refused called on this actor's thread for a version that does not compile here
     */
    public static Behavior<Command> create(String envId, RewardShaper shaper, ActorRef<Ready> ready,
                                           Consumer<Refused> refused) {
        return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, LWWRegister<RewardHistory>> r) ->
                        new RewardFollower(ctx, envId, shaper, ready, refused, r)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Read.class, r -> {
                    if (r.response() instanceof Replicator.GetSuccess<LWWRegister<RewardHistory>> ok) {
                        adopt(ok.get(ok.key()).getValue());
                    }
                    if (ready != null) {
                        ready.tell(new Ready(shaper.offeredVersion()));
                    }
                    return this;
                })
                .onMessage(Changed.class, c -> {
                    if (c.response() instanceof Replicator.Changed<LWWRegister<RewardHistory>> changed) {
                        adopt(changed.get(changed.key()).getValue());
                    }
                    return this;
                })
                .build();
    }

    private void adopt(RewardHistory history) {
        RewardSpec active = history.activeSpec();
        if (active.version() == shaper.offeredVersion()) {
            return;
        }
        try {
            shaper.offer(new RewardShaper.Version(active.version(),
                    RewardCompiler.compile(active, shaper.variables(), javaCallBudget)));
        } catch (RuntimeException e) {
            getContext().getLog().warn("reward {} of {} cannot be used on this node: {}", active.describe(),
                    history.envId(), e.getMessage());
            refused.accept(new Refused(active, "does not compile on this node: " + e.getMessage()));
        }
    }
}
