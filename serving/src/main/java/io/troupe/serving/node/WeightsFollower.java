package io.troupe.serving.node;

import io.troupe.core.PolicyWeights;
import io.troupe.environments.Env;
import io.troupe.serving.drift.DriftSettings;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.ServedPolicy;
import io.troupe.transport.weights.NodeWeights;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * A serve node's follower: subscribes to the node's published weights ({@link NodeWeights}, the fetcher agents share)
 * and offers each new version to the served policy, which checks it (same architecture, finite outputs on recent
 * requests) and serves it from each worker's next batch, or refuses and reports it. The policy enters the registry,
 * and the node becomes ready, with the first version served. Runs on {@value #DISPATCHER}: a check is a forward pass.
 * Nothing is lost on restart: the distributor hands the newest version to a new subscriber.
 *
 * <p>With drift monitoring on, the first version served is profiled (greedy episodes in the job's env) and the policy
 * monitored against that profile; the version served once the profile is older than {@code follow-reprofile-after}
 * is profiled again, and its monitor replaces the last (a followed policy's traffic changes with the policy). The
 * episodes run on the {@link DriftProfiler}'s thread, one profile at a time, so a newer version is checked and served
 * while a profile is being recorded.
 */
public final class WeightsFollower extends AbstractBehavior<WeightsFollower.Command> {
    /** The follower's own thread (a check must not hold Pekko's default dispatcher). */
    public static final String DISPATCHER = "troupe.serving.follower-dispatcher";

    /** What the follower handles. */
    public sealed interface Command permits WeightsArrived, ProfileDone {
    }

    /** A version the node's fetcher has in full. */
    private record WeightsArrived(PolicyWeights weights) implements Command, NoSerializationVerificationNeeded {
    }

    /** The profiler has finished the profile it was asked for. */
    private record ProfileDone(DriftProfiler.Profiled profiled) implements Command, NoSerializationVerificationNeeded {
    }

    private final ServedPolicy policy;
    private final PolicyRegistry registry;
    private final DriftSettings drift;
    private final ActorRef<DriftProfiler.Profile> profiler;
    private final ActorRef<DriftProfiler.Profiled> profileDone;
    /** When the policy's last profile was asked for, from {@link System#nanoTime}; none yet. */
    private Long profiledAt;
    /** A profile is being recorded: no other is asked for until it is done. */
    private boolean profiling;

    private WeightsFollower(ActorContext<Command> context, ServedPolicy policy, PolicyRegistry registry,
                            DriftSettings drift, Supplier<? extends Env> envs,
                            BiConsumer<ActorSystem<?>, ActorRef<PolicyWeights>> subscribe) {
        super(context);
        this.policy = policy;
        this.registry = registry;
        this.drift = drift;
        this.profiler = context.spawn(DriftProfiler.create(policy, drift, envs), "drift-profiler",
                DriftProfiler.dispatcher());
        this.profileDone = context.messageAdapter(DriftProfiler.Profiled.class, ProfileDone::new);
        subscribe.accept(context.getSystem(), context.messageAdapter(PolicyWeights.class, WeightsArrived::new));
    }

    /** A follower of {@code policy}, profiling the versions it serves as {@code drift} says in {@code envs}' envs. */
    public static Behavior<Command> create(ServedPolicy policy, PolicyRegistry registry, DriftSettings drift,
                                           Supplier<? extends Env> envs) {
        return create(policy, registry, drift, envs, (system, ref) -> NodeWeights.get(system).subscribe(ref));
    }

    /** As {@link #create(ServedPolicy, PolicyRegistry, DriftSettings, Supplier)}, with versions from {@code subscribe}. */
    static Behavior<Command> create(ServedPolicy policy, PolicyRegistry registry, DriftSettings drift,
                                    Supplier<? extends Env> envs,
                                    BiConsumer<ActorSystem<?>, ActorRef<PolicyWeights>> subscribe) {
        return Behaviors.setup(context -> new WeightsFollower(context, policy, registry, drift, envs, subscribe));
    }

    public static DispatcherSelector dispatcher() {
        return DispatcherSelector.fromConfig(DISPATCHER);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(WeightsArrived.class, this::onWeights)
                .onMessage(ProfileDone.class, done -> {
                    profiling = false;
                    return this;
                })
                .build();
    }

    private Behavior<Command> onWeights(WeightsArrived w) {
        ServedPolicy.Offer offer = policy.offer(w.weights());
        switch (offer) {
            case SERVED -> {
                if (registry.find(policy.name()).isEmpty()) {
                    registry.add(policy);
                }
                getContext().getLog().info("serve: policy '{}' now serves version {}", policy.name(),
                        w.weights().version());
                profileIfDue(w.weights());
            }
            case REJECTED -> getContext().getLog().warn("serve: version {} of policy '{}' is not served: {}",
                    w.weights().version(), policy.name(), policy.info().rejectedVersions().get(
                            policy.info().rejectedVersions().size() - 1).reason());
            case PINNED -> getContext().getLog().info("serve: version {} of policy '{}' held back: pinned at {}",
                    w.weights().version(), policy.name(), policy.pinned().orElse(-1));
            case NOT_NEWER -> {
            }
        }
        return this;
    }

    /** Asks for the served version's profile when there is none yet or the last is older than the setting. */
    private void profileIfDue(PolicyWeights served) {
        long now = System.nanoTime();
        if (!drift.enabled() || profiling
                || profiledAt != null && now - profiledAt < drift.followReprofileAfter().toNanos()) {
            return;
        }
        profiledAt = now;
        profiling = true;
        profiler.tell(new DriftProfiler.Profile(served, profileDone));
    }
}
