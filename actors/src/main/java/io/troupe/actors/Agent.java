package io.troupe.actors;

import io.troupe.actors.acting.ActingStep;
import io.troupe.actors.acting.PolicyLagGate;
import io.troupe.actors.acting.UnrollBuffer;
import io.troupe.actors.reward.RewardFollower;
import io.troupe.core.CrossNode;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.core.space.Discrete;
import io.troupe.environments.Curriculum;
import io.troupe.environments.Env;
import io.troupe.environments.VectorEnv;
import io.troupe.environments.reward.FeatureSource;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.replay.shard.ReplayProducer;
import io.troupe.transport.weights.NodeWeights;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;

/**
 * An agent: steps a vectorized env of K copies with one batched inference call per step on its local copy of the
 * policy, samples actions, and streams T-step unrolls (observations, actions, rewards, behaviour log-probabilities and
 * values, tagged with the oldest policy version that acted in it) to its replay shard through reliable delivery. New
 * weights, fetched in the background (or taken directly from a learner on the same node), are applied at the next
 * step boundary. By default the agent never waits for the learner; with {@code max-policy-lag} it starts an unroll
 * only on recent enough weights, waiting at most {@code policy-wait-timeout} for them (synchronous PPO). It runs on its
 * own dispatcher; a failure restarts it (supervision) with the running episodes counted as aborted and reported.
 *
 * <p>The actor only sequences pure parts: the {@link ActingStep} (sample, log-probability, value, truncation value),
 * the {@link UnrollBuffer} it records into, and the {@link PolicyLagGate}; its {@link AgentState} says which message it
 * waits for. Reward versions reach its {@link RewardShaper} as messages from its {@link RewardFollower}.
 *
 * <p>State lost on restart or rebalance: the unfinished unroll and episodes (reported as aborted). Unrolls already
 * handed to the producer are resent by reliable delivery unless the node itself died.
 */
public final class Agent extends AbstractBehavior<Agent.Command> {

    public sealed interface Command permits Tick, WeightsArrived, GetStats, Stored, Stop, FromRewardFollower, SetPaused,
            PolicyWaitOver {
    }

    /** The wait for a newer policy version ({@code max-policy-lag}) timed out. */
    private record PolicyWaitOver(long waitId) implements Command, NoSerializationVerificationNeeded {
    }

    /** Agents register under this key with the (cluster) receptionist, so the admin API can find every one. */
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "troupe-agents");

    /** Pauses (stops stepping; nothing is lost, the env copies wait mid-episode) or resumes the agent. */
    public record SetPaused(boolean paused) implements Command, CrossNode {
    }

    /** A reward version to offer, the first read done (acting may start), or a version this node refused. */
    private record FromRewardFollower(RewardFollower.Event event)
            implements Command, NoSerializationVerificationNeeded {
    }

    /** Stops the agent (its host uses it when sharding moves or stops it). */
    public enum Stop implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private record Stored(ReplayProducer.Confirmed confirmed) implements Command, NoSerializationVerificationNeeded {
    }

    private enum Tick implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private record WeightsArrived(PolicyWeights weights) implements Command, NoSerializationVerificationNeeded {
    }

    public record GetStats(ActorRef<Stats> replyTo) implements Command, CrossNode {
    }

    /**
     * An agent's counters; {@code rewardVersion} is the version its env copies switch to (some may still finish an
     * episode under the previous one), {@code rewardFallbacks} how many reward versions failed on it; {@code state} is
     * an {@link AgentState}'s label (what the admin API shows; {@link #agentState()} reads it back).
     */
    public record Stats(String agentId, long steps, long episodes, long unrollsSent, long policyVersion,
                        long rewardVersion, long rewardFallbacks, int index, String envId, String state,
                        long confirmedUnrolls)
            implements CrossNode {
        /** Every state's label: starting, acting, waiting-for-replay, waiting-for-policy, paused. */
        public static final List<String> STATES = Arrays.stream(AgentState.values()).map(AgentState::label).toList();

        public AgentState agentState() {
            return AgentState.ofLabel(state);
        }
    }

    /** What an agent reports about an episode: ended normally, or aborted by a failure. Crosses nodes. */
    public sealed interface Report extends CrossNode permits EpisodeEnded, Aborted, RewardEvent {
    }

    /**
     * An episode ended: {@code episodeReturn} is the env's own return (what targets such as CartPole's 475 are about),
     * {@code rewardReturn} the return under reward version {@code rewardVersion}, which produced the whole episode;
     * it was played at stage {@code stage} of the env's {@link Curriculum} of {@code stages} (0 of 1 without one; only
     * the last stage is the level itself).
     */
    public record EpisodeEnded(String agentId, double episodeReturn, int length, boolean success, long policyVersion,
                               long rewardVersion, double rewardReturn, int stage, int stages) implements Report {
        /** An episode of an env without a curriculum. */
        public EpisodeEnded(String agentId, double episodeReturn, int length, boolean success, long policyVersion,
                            long rewardVersion, double rewardReturn) {
            this(agentId, episodeReturn, length, success, policyVersion, rewardVersion, rewardReturn, 0, 1);
        }

        /** Whether the episode was played at the level itself (the last stage): what targets count. */
        public boolean atTheLevel() {
            return stage == stages - 1;
        }
    }

    /**
     * A reward version could not be used on this agent: it failed at run time ({@code fallbackVersion} replaced it),
     * or it could not be compiled here ({@code fallbackVersion} is the version kept).
     */
    public record RewardEvent(String agentId, String envId, long version, long fallbackVersion, String reason)
            implements Report {
    }

    public record Aborted(String agentId, int episodes, String reason) implements Report {
    }

    /** What an agent is built from; the composition root supplies the env and policy factories. */
    public record Spec(String agentId, int index, long seed, Supplier<Env> envFactory, Supplier<Policy> policyFactory,
                       AgentSettings settings,
                       ActorRef<ShardingEnvelope<ConsumerController.SequencedMessage<ExperienceBatch>>> replay,
                       ActorRef<Report> reports) {
    }

    private final Spec spec;
    private final VectorEnv envs;
    private final Policy policy;
    private final ActingStep acting;
    private final UnrollBuffer unrolls;
    private final PolicyLagGate lagGate;
    private final RewardShaper shaper;
    private final ActorRef<ReplayProducer.Command> producer;
    private final ActorRef<ReplayProducer.Confirmed> stored;
    private final String producerId;
    private final String shardId;
    private final int k;
    /** {@code troupe.agent.acting-slice}, in nanoseconds. */
    private final long actingSliceNanos;
    /** The reward version of each copy's reward at the current step. */
    private final long[] stepRewardVersions;
    private AgentState state = AgentState.STARTING;
    /** Paused by an admin: on top of the state, which resumes when the pause ends. */
    private boolean pausedByAdmin;
    /** The policy-lag wait timed out: the next unroll starts without the bound. */
    private boolean policyWaitExpired;
    private long policyWaitId;
    /** A Tick is on its way: at most one at a time. */
    private boolean tickQueued;
    private long unrollSeq;
    private long policyVersion = -1;
    /** The version that acted at the current unroll's first step. */
    private long unrollPolicyVersion = -1;
    private PolicyWeights pending;
    private long steps;
    private long episodes;
    private int unconfirmed;
    /** Unrolls 0..confirmedUnrolls-1 of this incarnation are stored in replay (confirmed by reliable delivery). */
    private long confirmedUnrolls;

    private Agent(ActorContext<Command> context, Spec spec) {
        super(context);
        this.spec = spec;
        AgentSettings s = spec.settings();
        this.k = s.envsPerAgent();
        this.actingSliceNanos = s.actingSlice().toNanos();
        this.envs = VectorEnv.of(spec.envFactory(), k);
        this.policy = spec.policyFactory().get();
        this.acting = new ActingStep(policy, envs, new SplittableRandom(spec.seed()));
        this.unrolls = new UnrollBuffer(envs.spec().observationSpace(), k, s.unrollLength(),
                ((Discrete) envs.spec().actionSpace()).n());
        this.lagGate = new PolicyLagGate(s.maxPolicyLag());
        this.stepRewardVersions = new long[k];
        this.shaper = new RewardShaper(FeatureSource.of(envs.env(0)), k, s.rewardSwitchAt(),
                RewardShaper.Version.ENV);
        shaper.setFallbackListener((failed, fallback, reason) -> {
            getContext().getLog().warn("agent {}: reward version {} failed ({}); using version {}", spec.agentId(),
                    failed, reason, fallback);
            report(new RewardEvent(spec.agentId(), envs.spec().id(), failed, fallback, reason));
        });
        envs.setRewardShaper(shaper);
        Curriculum[] curricula = new Curriculum[k];
        for (int i = 0; i < k; i++) {
            curricula[i] = Curriculum.of(envs.env(i)).orElse(null);
        }
        envs.setEpisodeListener((i, ret, len, term, success) -> {
            episodes++;
            Curriculum c = curricula[i];
            report(new EpisodeEnded(spec.agentId(), ret, len, success, policyVersion, shaper.rewardVersion(i),
                    shaper.episodeReturn(i), c == null ? 0 : c.endedStage(), c == null ? 1 : c.stages()));
        });
        envs.reset(spec.seed());
        this.producerId = spec.agentId() + "-" + UUID.randomUUID(); // unique per incarnation: shards dedupe on it
        this.shardId = "replay-" + Math.floorMod(spec.index(), s.replayShards());
        // on the agents' dispatcher, whose threads are busy anyway: on Pekko's default dispatcher every batch woke
        // parked threads for a few microseconds of work each (README, Acting pipeline: 0.77 -> 0.84 of the ceiling)
        this.producer = context.spawn(ReplayProducer.create(producerId, spec.replay(), s.confirmTimeout()),
                "producer", DispatcherSelector.sameAsParent());
        ActorRef<PolicyWeights> weights = context.messageAdapter(PolicyWeights.class, WeightsArrived::new);
        NodeWeights.get(context.getSystem()).subscribe(weights); // one fetcher per node, shared by its agents
        this.stored = context.messageAdapter(ReplayProducer.Confirmed.class, Stored::new);
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
        // act once the registry's active reward is known (a local read: no network round trip); the follower sends
        // versions here, and only this actor's thread touches the shaper
        context.spawn(RewardFollower.create(envs.spec().id(), shaper.variables(),
                context.messageAdapter(RewardFollower.Event.class, FromRewardFollower::new)), "reward");
    }

    private void report(Report r) {
        if (spec.reports() != null) {
            spec.reports().tell(r);
        }
    }

    private Behavior<Command> onRewardFollower(FromRewardFollower m) {
        RewardFollower.Event event = m.event();
        if (event instanceof RewardFollower.Offered o) {
            shaper.offer(o.version());
        } else if (event instanceof RewardFollower.Refused r) {
            report(new RewardEvent(spec.agentId(), envs.spec().id(), r.spec().version(), shaper.offeredVersion(),
                    r.reason()));
        } else if (event instanceof RewardFollower.Ready && state == AgentState.STARTING) {
            state = AgentState.ACTING;
            // the copies were reset before the version was known: their first episode starts under it
            for (int i = 0; i < k; i++) {
                shaper.started(i, envs.env(i), envs.observations());
            }
            tick();
        }
        return this;
    }

    public static Behavior<Command> create(Spec spec) {
        return Behaviors.setup(ctx -> new Agent(ctx, spec));
    }

    /** The agent restarted by supervision after a failure. */
    public static Behavior<Command> supervised(Spec spec) {
        return Behaviors.supervise(create(spec)).onFailure(SupervisorStrategy.restart());
    }

    public static DispatcherSelector dispatcher() {
        return DispatcherSelector.fromConfig(AgentSettings.DISPATCHER);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(FromRewardFollower.class, this::onRewardFollower)
                .onMessage(WeightsArrived.class, this::onWeights)
                .onMessage(PolicyWaitOver.class, this::onPolicyWaitOver)
                .onMessage(Stored.class, this::onStored)
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .onMessage(SetPaused.class, this::onSetPaused)
                .onMessage(GetStats.class, this::onGetStats)
                .onSignal(PostStop.class, s -> {
                    policy.close();
                    envs.close();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onWeights(WeightsArrived w) {
        pending = w.weights(); // applied at the next step boundary
        if (state == AgentState.WAITING_FOR_POLICY && !lagGate.mustWait(newestVersion())) {
            state = AgentState.ACTING;
            tick();
        }
        return this;
    }

    private Behavior<Command> onPolicyWaitOver(PolicyWaitOver o) {
        if (state == AgentState.WAITING_FOR_POLICY && o.waitId() == policyWaitId) {
            // act one unroll with what we have: the learner is slow, restarted from an older checkpoint, or lost the
            // data it was to train on (its node died after sampling it)
            state = AgentState.ACTING;
            policyWaitExpired = true;
            getContext().getLog().debug("agent {}: no newer policy than {} within {}; acting on", spec.agentId(),
                    policyVersion, spec.settings().policyWaitTimeout());
            tick();
        }
        return this;
    }

    private Behavior<Command> onStored(Stored c) {
        unconfirmed--;
        if (c.confirmed().ok()) { // one shard, confirmed in order: every unroll below the tag is stored
            confirmedUnrolls = Math.max(confirmedUnrolls, c.confirmed().tag());
        }
        if (state == AgentState.WAITING_FOR_REPLAY && unconfirmed < spec.settings().maxUnconfirmed()) {
            state = AgentState.ACTING; // replay made room: act again
            tick();
        }
        return this;
    }

    private Behavior<Command> onSetPaused(SetPaused p) {
        pausedByAdmin = p.paused();
        if (!pausedByAdmin && state == AgentState.ACTING) {
            tick();
        }
        return this;
    }

    private Behavior<Command> onGetStats(GetStats g) {
        AgentState shown = state != AgentState.STARTING && pausedByAdmin ? AgentState.PAUSED : state;
        g.replyTo().tell(new Stats(spec.agentId(), steps, episodes, unrollSeq, policyVersion, shaper.offeredVersion(),
                shaper.fallbacks(), spec.index(), envs.spec().id(), shown.label(), confirmedUnrolls));
        return this;
    }

    /** Queues the next step unless one is queued already or an admin paused the agent. */
    private void tick() {
        if (!tickQueued && !pausedByAdmin) {
            tickQueued = true;
            getContext().getSelf().tell(Tick.INSTANCE);
        }
    }

    private Behavior<Command> onTick() {
        tickQueued = false;
        if (pausedByAdmin || state != AgentState.ACTING) {
            return this; // resumed by SetPaused(false), or by what the state waits for
        }
        if (unrolls.step() == 0) {
            if (!policyWaitExpired && lagGate.mustWait(newestVersion())) {
                state = AgentState.WAITING_FOR_POLICY; // resumed by newer weights, or by the timeout
                getContext().scheduleOnce(spec.settings().policyWaitTimeout(), getContext().getSelf(),
                        new PolicyWaitOver(++policyWaitId));
                return this;
            }
            policyWaitExpired = false; // this unroll starts: the next one is held to the bound again
        }
        try {
            // steps until the unroll ends or the slice is spent, then lets the mailbox in (weights take effect at the
            // next message's first step, so still at a step boundary)
            long sliceEnd = System.nanoTime() + actingSliceNanos;
            while (!actOneStep() && sliceEnd - System.nanoTime() > 0) {
                // the next step of this slice
            }
        } catch (RuntimeException e) {
            report(new Aborted(spec.agentId(), k, e.toString()));
            getContext().getLog().error("agent {} failed; restarting with {} episodes aborted", spec.agentId(), k, e);
            throw e;
        }
        if (unconfirmed >= spec.settings().maxUnconfirmed()) {
            // replay is full (its rate limiter holds our batches): wait for it, not for the learner
            state = AgentState.WAITING_FOR_REPLAY;
        } else {
            tick();
        }
        return this;
    }

    /** The newest version the agent holds or has received (-1: none yet). */
    private long newestVersion() {
        return pending != null ? Math.max(policyVersion, pending.version()) : policyVersion;
    }

    /** One step of the K env copies; true when it ended the unroll (and sent it). */
    private boolean actOneStep() {
        if (pending != null) { // new weights take effect at this step boundary
            PolicyWeights w = pending;
            pending = null;
            try {
                policy.load(w);
                policyVersion = w.version();
            } catch (IllegalArgumentException e) {
                // weights of another model (a misconfigured job) or corrupt bytes: keep acting with what we have
                getContext().getLog().error("agent {}: refused weights version {} of model {} (this agent runs {}): {}",
                        spec.agentId(), w.version(), w.modelId(), policy.modelId(), e.getMessage());
            }
        }
        if (unrolls.step() == 0) {
            unrollPolicyVersion = policyVersion; // the unroll's tag: the oldest version that acted in it
        }
        unrolls.observe(envs.observations());
        ActingStep.Acted acted = acting.act();
        steps += k;
        for (int e = 0; e < k; e++) {
            stepRewardVersions[e] = shaper.rewardVersion(e);
        }
        unrolls.record(acted, stepRewardVersions);
        if (unrolls.full()) {
            sendUnrolls();
            return true;
        }
        return false;
    }

    private void sendUnrolls() {
        lagGate.unrollDone(unrollPolicyVersion);
        List<Unroll> batch = unrolls.drain(spec.agentId(), unrollSeq, unrollPolicyVersion, envs.observations());
        unrollSeq += batch.size();
        for (ExperienceBatch part : ExperienceBatch.split(batch, spec.settings().maxMessageBytes())) {
            // the tag: one past the batch's last unroll, so a confirmation says every earlier unroll is stored
            long tag = ((Unroll) part.items().get(part.items().size() - 1)).sequence() + 1;
            producer.tell(new ReplayProducer.Send(shardId, part, tag, stored));
            unconfirmed++;
        }
    }
}
