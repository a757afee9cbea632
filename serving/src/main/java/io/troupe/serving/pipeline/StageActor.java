package io.troupe.serving.pipeline;

import ai.djl.Device;
import io.troupe.core.CrossNode;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.PolicyWeights;
import io.troupe.export.RunCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.model.PolicyStage;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One pipeline stage of a served policy on one node: it holds its slice of the transformer ({@link PolicyStage},
 * loaded from the whole model's weights, nothing else allocated) and registers with the receptionist under
 * {@link #serviceKey}, so the serving node finds every stage of a policy and version wherever it runs. A request
 * travels down the route it carries, cut into messages of whole rows under {@code troupe.serving.pipeline.
 * message-bytes}: stage 0 takes the observations ({@link Infer}), every stage sends its activations to the next
 * ({@link Forward}) part by part as it runs them, and the last stage answers the requester once every row has come
 * out ({@link Inferred}). A stage
 * that cannot run a request answers {@link Failed}, naming itself and why.
 *
 * <p>Runs (and loads) on {@link PipelineSettings#DISPATCHER}. State lost when it stops: the requests in flight
 * through it (their requesters time out, naming {@code troupe.serving.pipeline.timeout}); the slice is reloaded from
 * the checkpoint by whoever starts the stage again.
 */
public final class StageActor extends AbstractBehavior<StageActor.Command> {

    /** What a stage takes. */
    public sealed interface Command permits Infer, Forward, Expire {
    }

    /**
     * To stage 0: rows {@code [from, from + observations.rows())} of a request of {@code total} rows, the stages
     * after this one in order ({@code next}), and who gets the answer.
     */
    public record Infer(long request, int from, int total, ObservationBatch observations,
                        List<ActorRef<Command>> next, ActorRef<Answer> replyTo) implements Command, CrossNode {
    }

    /**
     * To a later stage: rows {@code [from, from + rows)} of a request of {@code total} rows, as activations
     * {@code (rows, tokens, embedding)} row-major, with the stages after the receiver.
     */
    public record Forward(long request, int from, int total, int rows, int tokens, int embedding,
                          float[] activations, List<ActorRef<Command>> next, ActorRef<Answer> replyTo)
            implements Command, CrossNode {
    }

    /** A request the last stage has part of and will never complete (a stage before it stopped mid-request). */
    private record Expire(Pending key) implements Command, NoSerializationVerificationNeeded {
    }

    /** What the requester gets: the whole batch's answer or why there is none. */
    public sealed interface Answer extends CrossNode permits Inferred, Failed {
        long request();
    }

    /** Logits (rows x actions, row-major) and values of every row of the request. */
    public record Inferred(long request, float[] logits, float[] values, int actions) implements Answer {
    }

    /** The request failed at a stage: which one, on which node, and why. */
    public record Failed(long request, String reason) implements Answer {
    }

    private record Pending(ActorRef<Answer> replyTo, long request) {
    }

    private final PolicyStage stage;
    private final long messageBytes;
    private final Duration timeout;
    private final TimerScheduler<Command> timers;
    private final String where;
    private final Map<Pending, Chunks.Assembly> pending = new HashMap<>();

    private StageActor(ActorContext<Command> context, TimerScheduler<Command> timers, PolicyStage stage,
                       long version, PipelineSettings settings) {
        super(context);
        this.stage = stage;
        this.timers = timers;
        this.messageBytes = settings.messageBytes();
        this.timeout = settings.timeout();
        this.where = "stage " + stage.stage() + " of " + stage.stages() + " on " + context.getSystem().address();
        context.getSystem().receptionist().tell(Receptionist.register(
                serviceKey(stage.modelId(), version, stage.stage(), stage.stages()), context.getSelf()));
    }

    /**
     * Stage {@code stage} of {@code stages} of the policy {@code weights} are the parameters of: builds the slice and
     * loads it (blocking: spawn it on {@link PipelineSettings#dispatcher()}), then registers.
     */
    public static Behavior<Command> create(EnvSpec spec, ModelConfig model, int stage, int stages,
                                           PolicyWeights weights, PipelineSettings settings) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            PolicyStage slice = PolicyStage.create(spec, model, stage, stages, Device.cpu());
            try {
                slice.load(weights);
            } catch (RuntimeException e) {
                slice.close();
                throw new IllegalArgumentException("stage " + stage + " of " + stages + ": the weights of "
                        + weights.modelId() + " do not load: " + e.getMessage(), e);
            }
            context.getLog().info("pipeline stage {} of {} of {} (version {}): {} parameters", stage, stages,
                    slice.modelId(), weights.version(), slice.parameterCount());
            return new StageActor(context, timers, slice, weights.version(), settings);
        }));
    }

    /** Stage {@code stage} of {@code settings.stages()} of a run's checkpoint. */
    public static Behavior<Command> create(RunCheckpoint run, int stage, PipelineSettings settings) {
        return create(run.spec(), run.model(), stage, settings.stages(), run.weights(), settings);
    }

    /** Where stage {@code stage} of {@code stages} of a model and version registers. */
    public static ServiceKey<Command> serviceKey(String modelId, long version, int stage, int stages) {
        return ServiceKey.create(Command.class, "troupe-pipeline|" + modelId + "|v" + version + "|stage-" + stage
                + "-of-" + stages);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Infer.class, this::onInfer)
                .onMessage(Forward.class, this::onForward)
                .onMessage(Expire.class, this::onExpire)
                .onSignal(PostStop.class, s -> onPostStop())
                .build();
    }

    private Behavior<Command> onInfer(Infer m) {
        try {
            if (!stage.isFirst()) {
                throw new IllegalStateException("observations were sent to it; they go to stage 0");
            }
            send(m.request(), m.from(), m.total(), stage.forward(m.observations()), m.next(), m.replyTo());
        } catch (RuntimeException e) {
            m.replyTo().tell(new Failed(m.request(), where + ": " + e.getMessage()));
        }
        return this;
    }

    private Behavior<Command> onForward(Forward m) {
        try {
            PolicyStage.Activations in = new PolicyStage.Activations(m.rows(), m.tokens(), m.embedding(),
                    m.activations());
            if (!stage.isLast()) {
                send(m.request(), m.from(), m.total(), stage.forward(in), m.next(), m.replyTo());
                return this;
            }
            PolicyModel.Output out = stage.output(in);
            int actions = out.logits().length / Math.max(1, m.rows());
            Pending key = new Pending(m.replyTo(), m.request());
            Chunks.Assembly assembly = pending.get(key);
            if (assembly == null) {
                assembly = new Chunks.Assembly(m.total(), actions);
                pending.put(key, assembly);
                timers.startSingleTimer(key, new Expire(key), timeout);
            }
            if (assembly.add(m.from(), out.logits(), out.values())) {
                pending.remove(key);
                timers.cancel(key);
                m.replyTo().tell(new Inferred(m.request(), assembly.logits(), assembly.values(), actions));
            }
        } catch (RuntimeException e) {
            m.replyTo().tell(new Failed(m.request(), where + ": " + e.getMessage()));
        }
        return this;
    }

    /** Cuts {@code a} (rows {@code from..} of a request) into messages to the next stage. */
    private void send(long request, int from, int total, PolicyStage.Activations a, List<ActorRef<Command>> next,
                      ActorRef<Answer> replyTo) {
        if (next.isEmpty()) {
            throw new IllegalStateException("the request's route ends here, before the last stage");
        }
        ActorRef<Command> to = next.get(0);
        List<ActorRef<Command>> rest = List.copyOf(next.subList(1, next.size()));
        int per = Chunks.rowsPerMessage(a.bytesPerRow(), messageBytes);
        for (int r = 0; r < a.rows(); r += per) {
            PolicyStage.Activations part = per >= a.rows() ? a : a.rows(r, Math.min(a.rows(), r + per));
            to.tell(new Forward(request, from + r, total, part.rows(), part.tokens(), part.embedding(),
                    part.values(), rest, replyTo));
        }
    }

    private Behavior<Command> onExpire(Expire m) {
        if (pending.remove(m.key()) != null) {
            getContext().getLog().warn("{}: request {} incomplete after {}; dropped", where, m.key().request(),
                    timeout);
        }
        return this;
    }

    private Behavior<Command> onPostStop() {
        stage.close();
        return this;
    }
}
