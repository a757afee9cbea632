package io.troupe.serving.node;

import io.troupe.core.PolicyWeights;
import io.troupe.environments.Env;
import io.troupe.serving.drift.DriftMonitor;
import io.troupe.serving.drift.DriftSettings;
import io.troupe.serving.drift.Profiles;
import io.troupe.serving.drift.ReferenceProfile;
import io.troupe.serving.model.ServedPolicy;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Records the drift profile of a version a serve node serves (greedy episodes in the job's env, about a second for
 * CartPole) and monitors the policy against it, on a thread of its own ({@value #DISPATCHER}): the
 * {@link WeightsFollower} that asks goes on checking and serving newer versions meanwhile. Answers each request with
 * {@link Profiled}, whether a profile was attached or not (the reason is logged).
 */
public final class DriftProfiler extends AbstractBehavior<DriftProfiler.Profile> {
    /** The profiler's own thread: a profile plays whole episodes. */
    public static final String DISPATCHER = "troupe.serving.profiler-dispatcher";

    /** Profile {@code weights} (the version now served) and answer {@code replyTo}. */
    public record Profile(PolicyWeights weights, ActorRef<Profiled> replyTo) implements NoSerializationVerificationNeeded {
    }

    /** A profile of {@code version} is attached ({@code attached}) or could not be recorded. */
    public record Profiled(long version, boolean attached) implements NoSerializationVerificationNeeded {
    }

    private final ServedPolicy policy;
    private final DriftSettings drift;
    private final Supplier<? extends Env> envs;

    private DriftProfiler(ActorContext<Profile> context, ServedPolicy policy, DriftSettings drift,
                          Supplier<? extends Env> envs) {
        super(context);
        this.policy = policy;
        this.drift = drift;
        this.envs = envs;
    }

    /** A profiler of {@code policy}'s versions, recorded as {@code drift} says in {@code envs}' envs. */
    public static Behavior<Profile> create(ServedPolicy policy, DriftSettings drift, Supplier<? extends Env> envs) {
        return Behaviors.setup(context -> new DriftProfiler(context, policy, drift, envs));
    }

    public static DispatcherSelector dispatcher() {
        return DispatcherSelector.fromConfig(DISPATCHER);
    }

    @Override
    public Receive<Profile> createReceive() {
        return newReceiveBuilder().onMessage(Profile.class, this::onProfile).build();
    }

    private Behavior<Profile> onProfile(Profile p) {
        long version = p.weights().version();
        boolean attached = false;
        try {
            ReferenceProfile profile = Profiles.forWeights(policy.source(), p.weights(), envs, drift);
            policy.attachDrift(new DriftMonitor(profile, drift, version));
            attached = true;
            getContext().getLog().info("serve: policy '{}' is monitored for drift against version {}'s profile ({} "
                    + "episodes, evaluation return {})", policy.name(), version, profile.episodes(),
                    String.format("%.2f", profile.evalReturn()));
        } catch (RuntimeException e) {
            getContext().getLog().warn("serve: no drift profile for version {} of policy '{}' (tried again in {}): {}",
                    version, policy.name(), drift.followReprofileAfter(), e.getMessage());
        }
        p.replyTo().tell(new Profiled(version, attached));
        return this;
    }
}
