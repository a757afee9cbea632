package io.troupe.actors.reward;

import io.troupe.core.reward.RewardHistory;
import io.troupe.core.reward.RewardSpec;
import io.troupe.core.reward.RewardVariables;
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
 * Follows one env's reward history in the registry and sends its active version, compiled on this node, to the actor
 * that owns the {@link RewardShaper} (an agent), which offers it to its shaper on its own thread (the copies adopt it
 * at their next switch point). It reads the local replica once at start, sends the active version's {@link Offered}
 * (when there is one) and then {@link Ready} (so acting can wait for it), then follows every change. A version that
 * does not compile here (say, a plugin class missing from this node's class path) is sent as {@link Refused}, and the
 * shaper keeps what it has. The follower never touches the shaper itself. A Java class's calls get
 * {@code troupe.reward.java-call-budget}.
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

    /** What the follower tells the shaper's owner. */
    public sealed interface Event extends NoSerializationVerificationNeeded permits Offered, Ready, Refused {
    }

    /** A newly active version, compiled here: offer it to the shaper. */
    public record Offered(RewardShaper.Version version) implements Event {
    }

    /**
     * The active version was read at start and, when it compiled, offered before this (0 when the registry holds
     * nothing for the env or the version was refused).
     */
    public record Ready(long activeVersion) implements Event {
    }

    /** A version this node cannot use, and why. */
    public record Refused(RewardSpec spec, String reason) implements Event {
    }

    private final RewardVariables variables;
    private final ActorRef<Event> owner;
    private final Duration javaCallBudget;
    /** The version last offered (the shaper starts with the env's own reward, version 0). */
    private long offered = RewardShaper.Version.ENV.version();

    private RewardFollower(ActorContext<Command> context, String envId, RewardVariables variables,
                           ActorRef<Event> owner,
                           ReplicatorMessageAdapter<Command, LWWRegister<RewardHistory>> registry) {
        super(context);
        this.javaCallBudget = RewardCompiler.javaCallBudget(context.getSystem().settings().config());
        this.variables = variables;
        this.owner = owner;
        Key<LWWRegister<RewardHistory>> key = RewardRegistry.key(envId);
        registry.askGet(replyTo -> new Replicator.Get<>(key, Replicator.readLocal(), replyTo), Read::new);
        registry.subscribe(key, Changed::new);
    }

    /**
     * A follower of {@code envId}'s rewards, compiled against {@code variables} (the shaper's), telling {@code owner}
     * (the actor that owns the shaper) every {@link Event}.
     */
    public static Behavior<Command> create(String envId, RewardVariables variables, ActorRef<Event> owner) {
        return Behaviors.setup(ctx -> DistributedData.withReplicatorMessageAdapter(
                (ReplicatorMessageAdapter<Command, LWWRegister<RewardHistory>> r) ->
                        new RewardFollower(ctx, envId, variables, owner, r)));
    }

    /**
     * A follower for a shaper that no actor owns (the single-threaded reference run's loop, for which
     * {@link RewardShaper#offer} is safe from any thread): a child offers each version to {@code shaper}.
     *
     * @param ready   told once, after the first read (may be null)
     * @param refused called on the child's thread for a version that does not compile here
     */
    public static Behavior<Command> create(String envId, RewardShaper shaper, ActorRef<Ready> ready,
                                           Consumer<Refused> refused) {
        return Behaviors.setup(ctx -> {
            ActorRef<Event> offering = ctx.spawn(Behaviors.receive(Event.class)
                    .onMessage(Offered.class, o -> {
                        shaper.offer(o.version());
                        return Behaviors.same();
                    })
                    .onMessage(Ready.class, r -> {
                        if (ready != null) {
                            ready.tell(r);
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Refused.class, r -> {
                        refused.accept(r);
                        return Behaviors.same();
                    })
                    .build(), "offer");
            return create(envId, shaper.variables(), offering);
        });
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Read.class, r -> {
                    if (r.response() instanceof Replicator.GetSuccess<LWWRegister<RewardHistory>> ok) {
                        adopt(ok.get(ok.key()).getValue());
                    }
                    owner.tell(new Ready(offered));
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
        if (active.version() == offered) {
            return;
        }
        try {
            RewardShaper.Version version = new RewardShaper.Version(active.version(),
                    RewardCompiler.compile(active, variables, javaCallBudget));
            offered = active.version();
            owner.tell(new Offered(version));
        } catch (RuntimeException e) {
            getContext().getLog().warn("reward {} of {} cannot be used on this node: {}", active.describe(),
                    history.envId(), e.getMessage());
            owner.tell(new Refused(active, "does not compile on this node: " + e.getMessage()));
        }
    }
}
