package io.troupe.actors;

import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.Unroll;
import io.troupe.environments.Env;
import io.troupe.environments.VectorEnv;
import io.troupe.actors.reward.RewardFollower;
import io.troupe.environments.reward.FeatureSource;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.replay.shard.ReplayProducer;
import io.troupe.transport.weights.NodeWeights;
import java.time.Duration;
import java.util.ArrayList;
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
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
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
 * <p>State lost on restart or rebalance: the unfinished unroll and episodes (reported as aborted). Unrolls already
 * handed to the producer are resent by reliable delivery unless the node itself died.
 */
public final class Agent extends AbstractBehavior<Agent.Command> {

    public sealed interface Command permits Tick, WeightsArrived, GetStats, Stored, Stop, RewardReady, SetPaused,
            PolicyWaitOver {
    }

    /** The wait for a newer policy version ({@code max-policy-lag}) timed out. */
    private record PolicyWaitOver(long waitId) implements Command, NoSerializationVerificationNeeded {
    }

    /** Agents register under this key with the (cluster) receptionist, so the admin API can find every one. */
    public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "troupe-agents");

    /** Pauses (stops stepping; nothing is lost, the env copies wait mid-episode) or resumes the agent. */
    public record SetPaused(boolean paused) implements Command, io.troupe.core.CrossNode {
    }

    /** The registry's active reward is known and offered to the env copies: acting may start. */
    private record RewardReady(RewardFollower.Ready ready) implements Command, NoSerializationVerificationNeeded {
    }

    /** Stops the agent (its host uses it when sharding moves or stops it). */
    public enum Stop implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private record Stored(ReplayProducer.Confirmed confirmed) implements Command, NoSerializationVerificationNeeded {
    }

    private enum Tick implements Command, NoSerializationVerificationNeeded { INSTANCE }

    private record WeightsArrived(PolicyWeights weights) implements Command, NoSerializationVerificationNeeded {
    }

    public record GetStats(ActorRef<Stats> replyTo) implements Command, io.troupe.core.CrossNode {
    }

    /**
     * An agent's counters; {@code rewardVersion} is the version its env copies switch to (some may still finish an
     * episode under the previous one), {@code rewardFallbacks} how many reward versions failed on it.
     */
    public record Stats(String agentId, long steps, long episodes, long unrollsSent, long policyVersion,
                        long rewardVersion, long rewardFallbacks, int index, String envId, String state,
                        long confirmedUnrolls)
            implements io.troupe.core.CrossNode {
        /**
         * States: starting (waiting for the reward registry), acting, waiting-for-replay, waiting-for-policy (the
         * policy-lag bound), paused.
         */
        public static final java.util.List<String> STATES = java.util.List.of("starting", "acting",
                "waiting-for-replay", "waiting-for-policy", "paused");
    }

    /** What an agent reports about an episode: ended normally, or aborted by a failure. Crosses nodes. */
    public sealed interface Report extends io.troupe.core.CrossNode permits EpisodeEnded, Aborted, RewardEvent {
    }

    /**
     * An episode ended: {@code episodeReturn} is the env's own return (what targets such as CartPole's 475 are about),
     * {@code rewardReturn} the return under reward version {@code rewardVersion}, which produced the whole episode.
     */
    public record EpisodeEnded(String agentId, double episodeReturn, int length, boolean success, long policyVersion,
                               long rewardVersion, double rewardReturn) implements Report {
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
    private final SplittableRandom rng;
    private final ActorRef<ReplayProducer.Command> producer;
    private final String producerId;
    private final String shardId;
    private final int k;
    private final int t;
    private final List<ObservationBatch> obs = new ArrayList<>();
    private final int[][] actions;
    private final float[][] rewards;
    private final boolean[][] terminated;
    private final boolean[][] truncated;
    private final float[][] logProbs;
    private final float[][] values;
    /** The behaviour value of the final observation where a time limit cut an episode off (0 elsewhere). */
    private final float[][] truncationValues;
    private final float[][] logits;
    private final int[] stepActions;
    private final RewardShaper shaper;
    private final long[] unrollRewardVersion;
    private boolean started;
    private final double[] probs;
    private int step;
    private long unrollSeq;
    private long policyVersion = -1;
    /** The version that acted at the current unroll's first step. */
    private long unrollPolicyVersion = -1;
    private PolicyWeights pending;
    private long steps;
    private long episodes;
    private int unconfirmed;
    /** Replay holds max-unconfirmed-batches of ours: wait for it (backpressure). */
    private boolean waitingForReplay;
    /** Versions that started this agent's last max-policy-lag + 1 unrolls, oldest first. */
    private final java.util.ArrayDeque<Long> unrollStartVersions = new java.util.ArrayDeque<>();
    /** Waiting for a version newer than the oldest of unrollStartVersions (max-policy-lag). */
    private boolean waitingForPolicy;
    /** The wait timed out: the next unroll starts without the bound. */
    private boolean policyWaitExpired;
    private long policyWaitId;
    /** Paused by an admin. */
    private boolean pausedByAdmin;
    /** A Tick is on its way: at most one at a time. */
    private boolean tickQueued;
    /** Unrolls 0..confirmedUnrolls-1 of this incarnation are stored in replay (confirmed by reliable delivery). */
    private long confirmedUnrolls;
    private final ActorRef<ReplayProducer.Confirmed> stored;

    private Agent(ActorContext<Command> context, Spec spec) {
        super(context);
        this.spec = spec;
        AgentSettings s = spec.settings();
        this.k = s.envsPerAgent();
        this.t = s.unrollLength();
        this.envs = VectorEnv.of(spec.envFactory(), k);
        this.policy = spec.policyFactory().get();
        this.rng = new SplittableRandom(spec.seed());
        int numActions = ((io.troupe.core.space.Discrete) envs.spec().actionSpace()).n();
        this.actions = new int[k][t];
        this.rewards = new float[k][t];
        this.terminated = new boolean[k][t];
        this.truncated = new boolean[k][t];
        this.logProbs = new float[k][t];
        this.values = new float[k][t];
        this.truncationValues = new float[k][t];
        this.logits = new float[k][t * numActions];
        this.stepActions = new int[k];
        this.probs = new double[numActions];
        for (int e = 0; e < k; e++) {
            obs.add(ObservationBatch.forSpace(envs.spec().observationSpace(), t + 1));
        }
        this.shaper = new RewardShaper(FeatureSource.of(envs.env(0)), k, s.rewardSwitchAt(),
                RewardShaper.Version.ENV);
        shaper.setFallbackListener((failed, fallback, reason) -> {
            getContext().getLog().warn("agent {}: reward version {} failed ({}); using version {}", spec.agentId(),
                    failed, reason, fallback);
            report(new RewardEvent(spec.agentId(), envs.spec().id(), failed, fallback, reason));
        });
        envs.setRewardShaper(shaper);
        envs.setEpisodeListener((i, ret, len, term, success) -> {
            episodes++;
            if (spec.reports() != null) {
                spec.reports().tell(new EpisodeEnded(spec.agentId(), ret, len, success, policyVersion,
                        shaper.rewardVersion(i), shaper.episodeReturn(i)));
            }
        });
        this.unrollRewardVersion = new long[k];
        java.util.Arrays.fill(unrollRewardVersion, Long.MAX_VALUE);
        envs.reset(spec.seed());
        this.producerId = spec.agentId() + "-" + UUID.randomUUID(); // unique per incarnation: shards dedupe on it
        this.shardId = "replay-" + Math.floorMod(spec.index(), s.replayShards());
        this.producer = context.spawn(ReplayProducer.create(producerId, spec.replay(), Duration.ofMinutes(10)),
                "producer");
        ActorRef<PolicyWeights> weights = context.messageAdapter(PolicyWeights.class, WeightsArrived::new);
        NodeWeights.get(context.getSystem()).subscribe(weights); // one fetcher per node, shared by its agents
        this.stored = context.messageAdapter(ReplayProducer.Confirmed.class, Stored::new);
        context.getSystem().receptionist().tell(
                org.apache.pekko.actor.typed.receptionist.Receptionist.register(SERVICE_KEY, context.getSelf()));
        // act once the registry's active reward is known (a local read: no network round trip)
        context.spawn(RewardFollower.create(envs.spec().id(), shaper,
                context.messageAdapter(RewardFollower.Ready.class, RewardReady::new),
                refused -> report(new RewardEvent(spec.agentId(), envs.spec().id(), refused.spec().version(),
                        shaper.offeredVersion(), refused.reason()))), "reward");
    }

    private void report(Report r) {
        if (spec.reports() != null) {
            spec.reports().tell(r);
        }
    }

    private Behavior<Command> onRewardReady() {
        if (!started) {
            started = true;
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
                .onMessage(RewardReady.class, r -> onRewardReady())
                .onMessage(WeightsArrived.class, w -> {
                    pending = w.weights(); // applied at the next step boundary
                    if (waitingForPolicy && !mustWaitForPolicy()) {
                        waitingForPolicy = false;
                        tick();
                    }
                    return this;
                })
                .onMessage(PolicyWaitOver.class, o -> {
                    if (waitingForPolicy && o.waitId() == policyWaitId) {
                        // act one unroll with what we have: the learner is slow, restarted from an older checkpoint,
                        // or lost the data it was to train on (its node died after sampling it)
                        waitingForPolicy = false;
                        policyWaitExpired = true;
                        getContext().getLog().debug("agent {}: no newer policy than {} within {}; acting on",
                                spec.agentId(), policyVersion, spec.settings().policyWaitTimeout());
                        tick();
                    }
                    return this;
                })
                .onMessage(Stored.class, c -> {
                    unconfirmed--;
                    if (c.confirmed().ok()) { // one shard, confirmed in order: every unroll below the tag is stored
                        confirmedUnrolls = Math.max(confirmedUnrolls, c.confirmed().tag());
                    }
                    if (waitingForReplay && unconfirmed < spec.settings().maxUnconfirmed()) {
                        waitingForReplay = false; // replay made room: act again
                        tick();
                    }
                    return this;
                })
                .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
                .onMessage(SetPaused.class, p -> {
                    pausedByAdmin = p.paused();
                    if (!pausedByAdmin && started && !waitingForReplay && !waitingForPolicy) {
                        tick();
                    }
                    return this;
                })
                .onMessage(GetStats.class, g -> {
                    String state = !started ? "starting" : pausedByAdmin ? "paused"
                            : waitingForReplay ? "waiting-for-replay" : waitingForPolicy ? "waiting-for-policy"
                            : "acting";
                    g.replyTo().tell(new Stats(spec.agentId(), steps, episodes, unrollSeq, policyVersion,
                            shaper.offeredVersion(), shaper.fallbacks(), spec.index(), envs.spec().id(), state,
                            confirmedUnrolls));
                    return this;
                })
                .onSignal(PostStop.class, s -> {
                    policy.close();
                    envs.close();
                    return this;
                })
                .build();
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
        if (pausedByAdmin) {
            return this; // resumed by SetPaused(false)
        }
        if (step == 0) {
            if (!policyWaitExpired && mustWaitForPolicy()) {
                waitingForPolicy = true; // resumed by newer weights, or by the timeout
                getContext().scheduleOnce(spec.settings().policyWaitTimeout(), getContext().getSelf(),
                        new PolicyWaitOver(++policyWaitId));
                return this;
            }
            policyWaitExpired = false; // this unroll starts: the next one is held to the bound again
        }
        try {
            actOneStep();
        } catch (RuntimeException e) {
            if (spec.reports() != null) {
                spec.reports().tell(new Aborted(spec.agentId(), k, e.toString()));
            }
            getContext().getLog().error("agent {} failed; restarting with {} episodes aborted", spec.agentId(), k, e);
            throw e;
        }
        if (unconfirmed >= spec.settings().maxUnconfirmed()) {
            // replay is full (its rate limiter holds our batches): wait for it, not for the learner
            waitingForReplay = true;
        } else {
            tick();
        }
        return this;
    }

    /** Whether the next unroll would start on a version the policy-lag bound does not allow yet. */
    private boolean mustWaitForPolicy() {
        int maxLag = spec.settings().maxPolicyLag();
        if (maxLag < 0) {
            return false;
        }
        long newest = pending != null ? Math.max(policyVersion, pending.version()) : policyVersion;
        if (newest < 0) {
            return true; // no published version yet: the learner's first one is what its first batch is measured by
        }
        return unrollStartVersions.size() > maxLag && newest <= unrollStartVersions.peekFirst();
    }

    private void actOneStep() {
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
        if (step == 0) {
            unrollPolicyVersion = policyVersion; // the unroll's tag: the oldest version that acted in it
        }
        Policy.Evaluation eval = policy.evaluate(envs.observations());
        int n = eval.actions();
        for (int e = 0; e < k; e++) {
            envs.observations().copyRow(e, obs.get(e), step);
            int a = io.troupe.core.Categorical.sample(eval.logits(), e * n, n, probs, rng);
            stepActions[e] = a;
            actions[e][step] = a;
            logProbs[e][step] = (float) Math.log(probs[a]);
            values[e][step] = eval.values()[e];
            System.arraycopy(eval.logits(), e * n, logits[e], step * n, n);
        }
        envs.step(stepActions);
        steps += k;
        boolean anyCutOff = false;
        for (int e = 0; e < k; e++) {
            rewards[e][step] = (float) envs.rewards()[e];
            unrollRewardVersion[e] = Math.min(unrollRewardVersion[e], shaper.rewardVersion(e));
            terminated[e][step] = envs.terminated()[e];
            truncated[e][step] = envs.truncated()[e];
            truncationValues[e][step] = 0f;
            anyCutOff |= truncated[e][step] && !terminated[e][step];
        }
        if (anyCutOff) { // a time limit ended an episode: value its final observation, so the learner can bootstrap
            float[] finalValues = policy.evaluate(envs.finalObservations()).values();
            for (int e = 0; e < k; e++) {
                if (truncated[e][step] && !terminated[e][step]) {
                    truncationValues[e][step] = finalValues[e];
                }
            }
        }
        step++;
        if (step == t) {
            sendUnrolls();
            step = 0;
        }
    }

    private void sendUnrolls() {
        unrollStartVersions.addLast(unrollPolicyVersion);
        while (unrollStartVersions.size() > Math.max(0, spec.settings().maxPolicyLag()) + 1) {
            unrollStartVersions.removeFirst();
        }
        List<Unroll> unrolls = new ArrayList<>(k);
        for (int e = 0; e < k; e++) {
            envs.observations().copyRow(e, obs.get(e), t);
            unrolls.add(new Unroll(spec.agentId(), unrollSeq++, obs.get(e), actions[e].clone(), new float[0],
                    rewards[e].clone(), terminated[e].clone(), truncated[e].clone(), logits[e].clone(),
                    logProbs[e].clone(), values[e].clone(), unrollPolicyVersion, unrollRewardVersion[e],
                    truncationValues[e].clone()));
            unrollRewardVersion[e] = Long.MAX_VALUE;
            obs.set(e, ObservationBatch.forSpace(envs.spec().observationSpace(), t + 1));
        }
        for (ExperienceBatch batch : ExperienceBatch.split(unrolls, spec.settings().maxMessageBytes())) {
            // the tag: one past the batch's last unroll, so a confirmation says every earlier unroll is stored
            long tag = ((Unroll) batch.items().get(batch.items().size() - 1)).sequence() + 1;
            producer.tell(new ReplayProducer.Send(shardId, batch, tag, stored));
            unconfirmed++;
        }
    }
}
