package io.troupe.learners;

import ai.djl.Device;
import io.troupe.core.CrossNode;
import io.troupe.core.EnvSpec;
import io.troupe.core.experience.Unroll;
import io.troupe.core.reward.RewardHistory;
import io.troupe.learners.distill.DistillConfig;
import io.troupe.learners.distill.DistillLearner;
import io.troupe.learners.impala.ImpalaConfig;
import io.troupe.learners.impala.ImpalaLearner;
import io.troupe.learners.model.Devices;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelReplicas;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.model.TorchThreads;
import io.troupe.learners.optim.Adam;
import io.troupe.learners.parallel.MemoryBudget;
import io.troupe.learners.parallel.MemoryEstimate;
import io.troupe.learners.ppo.PpoConfig;
import io.troupe.learners.ppo.PpoLearner;
import io.troupe.learners.prune.GradualPruning;
import io.troupe.learners.prune.ParameterMask;
import io.troupe.replay.shard.ReplayShard;
import io.troupe.replay.table.SampledItem;
import io.troupe.transport.registry.RewardRegistry;
import io.troupe.transport.weights.WeightsPublisher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The learner: samples unrolls from every replay shard, hands each batch to its algorithm's {@link UpdateStep}
 * ({@link PpoLearner} or {@link ImpalaLearner}, which own their update), publishes a new {@code PolicyWeights} version
 * every {@code publish-every} updates (through its {@link WeightsPublisher}) and writes a checkpoint every
 * {@code checkpoint-every} updates and when it stops. A skipped update (non-finite input, loss or gradient) is counted
 * and neither publishes nor checkpoints. It runs on the dedicated
 * {@value LearnerSettings#DISPATCHER} dispatcher; in a cluster it is a singleton of the learner role.
 *
 * <p>On start it resumes from the newest checkpoint in its checkpoint directory (parameters, optimizer state, update
 * count and policy version), so versions keep increasing across a fail-over; then it publishes its current weights so
 * agents can act. State lost on a crash: updates since the last checkpoint.
 */
public final class Learner extends AbstractBehavior<Learner.Command> {

    public sealed interface Command permits GetStatus, ShardsChanged, Reply, NextRound, RewardChanged {
    }

    /** The reward registry's history of this env changed (only subscribed when dropping stale rewards). */
    private record RewardChanged(Replicator.SubscribeResponse<LWWRegister<RewardHistory>> response)
            implements Command, NoSerializationVerificationNeeded {
    }

    public record GetStatus(ActorRef<Status> replyTo) implements Command, CrossNode {
    }

    /**
     * Counters for status pages and tests; the {@code last*} figures are those of the latest update taken (NaN before
     * the first, and where the algorithm does not report one: distillation reports no entropy or KL);
     * {@code pipelineStages}, {@code microBatches} and {@code bubbleFraction} are the model parallelism the learner
     * trains with ({@code troupe.model.parallel}; 1, 1 and 0 without).
     */
    public record Status(long updates, long policyVersion, long stepsConsumed, long skippedUpdates, int shards,
                         String device, String algorithm, double lastPolicyLoss, double lastValueLoss,
                         String thread, long lagP50, long lagMax, long activeRewardVersion,
                         long droppedStaleUnrolls, long partialUpdates, String resumedFrom, double lastEntropy,
                         double lastApproxKl, int pipelineStages, int microBatches, double bubbleFraction)
            implements CrossNode {
        /** A status of a learner without model parallelism. */
        public Status(long updates, long policyVersion, long stepsConsumed, long skippedUpdates, int shards,
                      String device, String algorithm, double lastPolicyLoss, double lastValueLoss,
                      String thread, long lagP50, long lagMax, long activeRewardVersion,
                      long droppedStaleUnrolls, long partialUpdates, String resumedFrom) {
            this(updates, policyVersion, stepsConsumed, skippedUpdates, shards, device, algorithm, lastPolicyLoss,
                    lastValueLoss, thread, lagP50, lagMax, activeRewardVersion, droppedStaleUnrolls, partialUpdates,
                    resumedFrom, Double.NaN, Double.NaN, 1, 1, 0.0);
        }
    }

    private record ShardsChanged(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {
    }

    private record Reply(ReplayShard.SampleReply reply) implements Command, NoSerializationVerificationNeeded {
    }

    private enum NextRound implements Command, NoSerializationVerificationNeeded { INSTANCE }

    /**
     * Everything a learner is built from (the composition root assembles it). {@code unrollLength}: the T of the
     * unrolls it will train on (the agents' {@code troupe.agent.unroll-length}), which sizes the rows of a forward
     * pass for the device memory budget; 0 when not known (the budget then takes {@code troupe.ppo}'s minibatch).
     */
    public record Spec(EnvSpec env, ModelConfig model, PpoConfig ppo, ImpalaConfig impala, LearnerSettings settings,
                       long seed, DistillConfig distill, int unrollLength) {
        public Spec {
            if (unrollLength < 0) {
                throw new IllegalArgumentException("the learner's unroll length must be >= 0 (0: not known), got "
                        + unrollLength);
            }
        }

        /** A spec whose unroll length is not known. */
        public Spec(EnvSpec env, ModelConfig model, PpoConfig ppo, ImpalaConfig impala, LearnerSettings settings,
                    long seed, DistillConfig distill) {
            this(env, model, ppo, impala, settings, seed, distill, 0);
        }

        /** A spec for a job that does not distill. */
        public Spec(EnvSpec env, ModelConfig model, PpoConfig ppo, ImpalaConfig impala, LearnerSettings settings,
                    long seed) {
            this(env, model, ppo, impala, settings, seed, DistillConfig.defaults());
        }
    }

    private final Spec spec;
    /** The model on its device(s): data-parallel when troupe.learner.device names several. */
    private final ModelReplicas replicas;
    /** The primary replica: the one the optimizer steps, published and checkpointed. */
    private final PolicyModel model;
    private final Adam adam;
    /** The algorithm's update: it owns its batch building and its step. */
    private final UpdateStep step;
    private final String devices;
    /** How the model is split: pipeline stages and micro-batches (troupe.model.parallel). */
    private final Parallelism parallel;
    private final ActorRef<WeightsPublisher.Command> publisher;
    private final ActorRef<ReplayShard.SampleReply> replies;
    private Set<ActorRef<ReplayShard.Command>> shards = Set.of();
    private long updates;
    private long policyVersion;
    private long stepsConsumed;
    private long skippedUpdates;
    private double lastPolicyLoss = Double.NaN;
    private double lastValueLoss = Double.NaN;
    private double lastEntropy = Double.NaN;
    private double lastApproxKl = Double.NaN;
    private long lagP50;
    private long lagMax;
    private long requestId;
    /** The registry's active reward version (followed only with drop-stale-rewards). */
    private long activeRewardVersion;
    private long droppedStaleUnrolls;
    /** When a shard last gave items; updates on a partial batch after a quiet wait are counted. */
    private long lastItemNanos = System.nanoTime();
    private long partialUpdates;
    /** The checkpoint this learner resumed from, and whether it had to fall back to the previous one; "" if none. */
    private String resumedFrom = "";
    /** Outstanding sample requests by request id: one per shard at a time, each shard pulled independently. */
    private final Map<Long, ActorRef<ReplayShard.Command>> inFlight = new HashMap<>();
    private final List<Unroll> collected = new ArrayList<>();

    /** Gradual pruning's schedule, when the checkpoint directory holds one; null otherwise. */
    private final GradualPruning pruning;
    /** The sparsity of the mask the learner keeps now (gradual pruning). */
    private double sparsity;

    private Learner(ActorContext<Command> context, Spec spec) {
        super(context);
        this.spec = spec;
        if (spec.settings().intraOpThreads() > 0) { // on the learner's own dispatcher thread, where its updates run
            context.getLog().info("learner: {} PyTorch intra-op thread(s) (troupe.learner.intra-op-threads)",
                    TorchThreads.setOnThisThread(spec.settings().intraOpThreads()));
        }
        List<Device> deviceList = Devices.selectAll(spec.settings().device());
        this.devices = deviceList.stream().map(Device::toString).collect(Collectors.joining(","));
        this.parallel = spec.model().parallel();
        int stages = spec.model().parallel().pipelineStages();
        MemoryBudget.check(spec.env(), budgetModel(spec), budgetRows(spec, deviceList.size() == 1 ? 1
                : deviceList.size() / stages), deviceList, spec.settings().deviceMemoryBudget(),
                budgetTeacher(spec)); // before allocating
        this.replicas = ModelReplicas.create(spec.env(), spec.model(), spec.seed(), deviceList);
        this.model = replicas.primary();
        if (parallel.pipelined() || parallel.microBatches() > 1) {
            context.getLog().info("learner model parallelism: {} replica(s) of {} on {}; GPipe bubble fraction "
                    + "(K-1)/(M+K-1) = {}", replicas.size(), parallel.describe(), devices,
                    String.format(Locale.ROOT, "%.3f", parallel.bubbleFraction()));
        }
        this.adam = Adam.withDefaults(model.parameters(), model.manager());
        this.step = switch (spec.settings().algorithm()) {
            case IMPALA -> new ImpalaLearner(replicas, adam, spec.impala());
            case PPO -> new PpoLearner(replicas, adam, spec.ppo(), new SplittableRandom(spec.seed()));
            case DISTILL -> new DistillLearner(replicas, adam, spec.distill(),
                    DistillLearner.loadTeacher(spec.env(), spec.distill(), model.device()),
                    new SplittableRandom(spec.seed()));
        };
        LearnerCheckpoint.restore(spec.settings().checkpointDir(), model, adam).ifPresent(r -> {
            updates = r.counters().updates();
            policyVersion = r.counters().policyVersion();
            stepsConsumed = r.counters().envSteps();
            resumedFrom = r.fellBack() ? r.from() + " (the latest checkpoint was unreadable: " + r.reason() + ")"
                    : r.from().toString();
            context.getLog().info("learner resumed from {}: update {}, policy version {}", resumedFrom, updates,
                    policyVersion);
        });
        // a pruned run's mask: pruned weights stay exactly zero through every optimizer step of the fine-tuning
        ParameterMask.inCheckpointDir(spec.settings().checkpointDir()).ifPresent(mask -> {
            keepMask(mask);
            context.getLog().info("learner keeps the prune mask of {}: {} of {} masked entries pruned",
                    spec.settings().checkpointDir().resolve(ParameterMask.FILE), mask.prunedCount(),
                    mask.maskedParameterSize());
        });
        this.pruning = GradualPruning.inCheckpointDir(spec.settings().checkpointDir()).orElse(null);
        followPruningSchedule();
        this.publisher = context.spawn(WeightsPublisher.create(spec.settings().chunkBytes()), "weights");
        this.replies = context.messageAdapter(ReplayShard.SampleReply.class, Reply::new);
        publisher.tell(new WeightsPublisher.Publish(model.weights(policyVersion), null));
        context.getSystem().receptionist().tell(Receptionist.subscribe(ReplayShard.SERVICE_KEY,
                context.messageAdapter(Receptionist.Listing.class, ShardsChanged::new)));
        if (spec.settings().dropStaleRewards()) {
            @SuppressWarnings("unchecked")
            Class<Replicator.SubscribeResponse<LWWRegister<RewardHistory>>> type =
                    (Class<Replicator.SubscribeResponse<LWWRegister<RewardHistory>>>) (Class<?>)
                            Replicator.SubscribeResponse.class;
            DistributedData.get(context.getSystem()).replicator().tell(new Replicator.Subscribe<>(
                    RewardRegistry.key(spec.env().id()), context.messageAdapter(type, RewardChanged::new)));
        }
    }

    /**
     * The rows of one forward and backward pass on each data-parallel replica, what the memory budget is estimated
     * for: with the unroll length T known, PPO's minibatch of the batch (batch-unrolls * T / num-minibatches) and
     * IMPALA's whole batch (batch-unrolls * (T + 1): every observation, the bootstrap one included, in one pass), each
     * split over the {@code replicas}; distillation's minibatch whole (it trains on the primary replica alone);
     * otherwise {@code troupe.ppo}'s minibatch (num-envs * num-steps / num-minibatches).
     */
    static int budgetRows(Spec spec, int replicas) {
        int t = spec.unrollLength();
        if (t == 0) {
            return spec.ppo().minibatchSize();
        }
        int unrolls = spec.settings().batchUnrolls();
        return switch (spec.settings().algorithm()) {
            case PPO -> ceilDiv(Math.max(1, unrolls * t / spec.ppo().numMinibatches()), replicas);
            case IMPALA -> ceilDiv(unrolls * (t + 1), replicas);
            case DISTILL -> Math.max(1, unrolls * t / spec.distill().numMinibatches());
        };
    }

    /**
     * The model as the budget sees it: PPO runs GPipe's micro-batches; IMPALA and distillation run each pass through
     * the stages whole, one micro-batch whatever {@code troupe.model.parallel.micro-batches} says.
     */
    static ModelConfig budgetModel(Spec spec) {
        Parallelism p = spec.model().parallel();
        return spec.settings().algorithm() == LearnerAlgorithm.PPO || p.microBatches() == 1 ? spec.model()
                : spec.model().withParallelism(new Parallelism(p.pipelineStages(), 1));
    }

    /**
     * The distillation teacher as the budget sees it, on the primary device beside the student: its parameters and
     * one forward pass over the whole batch (batch-unrolls x T rows; {@code troupe.ppo}'s batch when T is not known);
     * nothing for a job that does not distill.
     */
    static MemoryEstimate budgetTeacher(Spec spec) {
        if (spec.settings().algorithm() != LearnerAlgorithm.DISTILL || spec.distill().teacherModel().isEmpty()) {
            return MemoryEstimate.ZERO;
        }
        int rows = spec.unrollLength() == 0 ? spec.ppo().batchSize()
                : spec.settings().batchUnrolls() * spec.unrollLength();
        return MemoryBudget.inference(spec.env(), spec.distill().teacherModel().get(), rows);
    }

    private static int ceilDiv(int rows, int parts) {
        return Math.max(1, (rows + parts - 1) / parts);
    }

    public static Behavior<Command> create(Spec spec) {
        return Behaviors.setup(ctx -> new Learner(ctx, spec));
    }

    /** The learner as a supervised behaviour (restarted, and so resumed from its checkpoint, after a failure). */
    public static Behavior<Command> supervised(Spec spec) {
        return Behaviors.supervise(create(spec)).onFailure(SupervisorStrategy.restart());
    }

    /**
     * Runs the learner as a Cluster Singleton on the oldest node of the learner role, supervised and on its dispatcher;
     * when that node leaves or dies the singleton starts on the next learner node and resumes from the checkpoint
     * directory. Returns the singleton's proxy. Call on every node.
     */
    public static ActorRef<Command> initSingleton(ActorSystem<?> system, Spec spec) {
        return ClusterSingleton.get(system).init(SingletonActor.of(supervised(spec), "troupe-learner")
                .withProps(dispatcher())
                .withSettings(ClusterSingletonSettings.create(system).withRole(spec.settings().role())));
    }

    /** Props selecting the learner's dedicated dispatcher. */
    public static DispatcherSelector dispatcher() {
        return DispatcherSelector.fromConfig(LearnerSettings.DISPATCHER);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(ShardsChanged.class, this::onShards)
                .onMessage(Reply.class, this::onReply)
                .onMessageEquals(NextRound.INSTANCE, this::onNextRound)
                .onMessage(GetStatus.class, this::onStatus)
                .onMessage(RewardChanged.class, c -> {
                    if (c.response() instanceof Replicator.Changed<LWWRegister<RewardHistory>> changed) {
                        activeRewardVersion = changed.get(changed.key()).getValue().active();
                    }
                    return this;
                })
                .onSignal(PostStop.class, s -> onStop())
                .build();
    }

    private Behavior<Command> onShards(ShardsChanged c) {
        shards = c.listing().getServiceInstances(ReplayShard.SERVICE_KEY);
        getContext().getSelf().tell(NextRound.INSTANCE);
        return this;
    }

    /** Asks every shard that has no request outstanding for what it can give now. */
    private Behavior<Command> onNextRound() {
        int batch = spec.settings().batchUnrolls();
        if (collected.size() >= batch) {
            return this; // a batch is buffered: train first (fetching more would only age it)
        }
        int perShard = Math.max(1, (batch + shards.size() - 1) / Math.max(1, shards.size()));
        for (ActorRef<ReplayShard.Command> shard : shards) {
            if (!inFlight.containsValue(shard)) {
                long id = ++requestId;
                inFlight.put(id, shard);
                // whatever the shard can give now (at least one item), waiting briefly: shards are pulled
                // independently, so an empty shard never holds the others up
                shard.tell(new ReplayShard.Sample(id, perShard, replies, true,
                        spec.settings().sampleWait().toMillis()));
            }
        }
        return this;
    }

    private Behavior<Command> onReply(Reply r) {
        ReplayShard.SampleReply reply = r.reply();
        if (!inFlight.containsKey(reply.requestId())) {
            return this; // a late answer to a request given up on
        }
        boolean shardDone = true;
        if (reply instanceof ReplayShard.Sampled s) {
            for (SampledItem item : s.items()) {
                if (item.item() instanceof Unroll u) {
                    collected.add(u);
                }
            }
            shardDone = s.last();
        }
        if (shardDone) {
            inFlight.remove(reply.requestId());
            if (reply instanceof ReplayShard.Sampled) {
                lastItemNanos = System.nanoTime();
            }
            if (collected.size() >= spec.settings().batchUnrolls()) {
                List<Unroll> batch = new ArrayList<>(collected.subList(0, spec.settings().batchUnrolls()));
                collected.subList(0, spec.settings().batchUnrolls()).clear();
                train(batch);
            } else if (!collected.isEmpty() && reply instanceof ReplayShard.SampleTimedOut
                    && System.nanoTime() - lastItemNanos >= spec.settings().partialBatchAfter().toNanos()) {
                // nothing new for a whole wait: fewer producers than the batch expects (paused, gone, or waiting for
                // this very update under max-policy-lag): train on what there is rather than stall
                List<Unroll> batch = new ArrayList<>(collected);
                collected.clear();
                partialUpdates++;
                train(batch);
            }
            if (reply instanceof ReplayShard.SampleRefused refused) {
                // a configuration error (batch larger than the table): say so, and retry slowly rather than spin
                getContext().getLog().error("learner: replay shard {} refused a sample: {}", refused.shardId(),
                        refused.reason());
                getContext().scheduleOnce(spec.settings().refusedRetry(), getContext().getSelf(), NextRound.INSTANCE);
            } else {
                getContext().getSelf().tell(NextRound.INSTANCE);
            }
        }
        return this;
    }

    private void train(List<Unroll> unrolls) {
        if (spec.settings().dropStaleRewards()) {
            int before = unrolls.size();
            unrolls.removeIf(u -> u.rewardVersion() != activeRewardVersion);
            droppedStaleUnrolls += before - unrolls.size();
            if (unrolls.isEmpty()) {
                return;
            }
        }
        int length = unrolls.get(0).length();
        unrolls.removeIf(u -> u.length() != length);
        // a fixed order (producer, then sequence) whatever order the shards answered in, so a run repeats itself
        unrolls.sort(Comparator.comparing(Unroll::producerId).thenComparingLong(Unroll::sequence));
        long steps = (long) unrolls.size() * length;
        long[] lags = unrolls.stream().mapToLong(u -> policyVersion - u.policyVersion()).sorted().toArray();
        lagP50 = lags[lags.length / 2];
        lagMax = lags[lags.length - 1];
        UpdateStep.Result result = step.update(unrolls, stepsConsumed);
        if (result.skipped()) {
            skippedUpdates++;
            getContext().getLog().warn("learner: update skipped (non-finite input, loss or gradient); weights kept at "
                    + "version {}", policyVersion);
            return;
        }
        lastPolicyLoss = result.policyLoss();
        lastValueLoss = result.valueLoss();
        lastEntropy = result.entropy();
        lastApproxKl = result.approxKl();
        updates++;
        stepsConsumed += steps;
        followPruningSchedule();
        if (updates % spec.settings().publishEvery() == 0) {
            policyVersion++;
            publisher.tell(new WeightsPublisher.Publish(model.weights(policyVersion), null));
        }
        if (updates % spec.settings().checkpointEvery() == 0) {
            checkpoint();
        }
    }

    /** Holds pruned weights at zero after every optimizer step from now on. */
    private void keepMask(ParameterMask mask) {
        mask.apply(model);
        adam.afterEachStep(() -> mask.apply(model));
    }

    /** Gradual pruning: re-selects the mask by magnitude when the schedule's sparsity has risen enough. */
    private void followPruningSchedule() {
        if (pruning == null) {
            return;
        }
        double target = pruning.sparsityAt(stepsConsumed);
        if (target > 0 && pruning.due(sparsity, target)) {
            keepMask(pruning.select(model, target));
            replicas.broadcastWeights();
            sparsity = target;
        }
    }

    private void checkpoint() {
        LearnerCheckpoint.save(spec.settings().checkpointDir(), model, adam,
                new LearnerCheckpoint.Counters(updates, stepsConsumed, policyVersion));
    }

    private Behavior<Command> onStatus(GetStatus g) {
        g.replyTo().tell(new Status(updates, policyVersion, stepsConsumed, skippedUpdates, shards.size(),
                devices, step.algorithm(), lastPolicyLoss, lastValueLoss,
                Thread.currentThread().getName(), lagP50, lagMax, activeRewardVersion, droppedStaleUnrolls,
                partialUpdates, resumedFrom, lastEntropy, lastApproxKl, parallel.pipelineStages(),
                parallel.microBatches(), parallel.bubbleFraction()));
        return this;
    }

    private Behavior<Command> onStop() {
        try {
            checkpoint();
        } finally {
            if (step instanceof DistillLearner d) {
                d.close();
            }
            adam.close();
            replicas.close();
        }
        return this;
    }
}
