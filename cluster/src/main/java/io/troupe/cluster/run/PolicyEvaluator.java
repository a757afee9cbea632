package io.troupe.cluster.run;

import ai.djl.Device;
import io.troupe.core.EnvSpec;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.transport.weights.NodeWeights;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Greedy evaluations of the newest published policy on this node ({@code troupe.train.evaluation}), as an actor on
 * the blocking-I/O dispatcher: an evaluation steps envs and runs inference for a few seconds on the actor's thread. On
 * its first {@link Evaluate} it subscribes to the node's published weights ({@link NodeWeights}, the fetcher agents
 * share; a standby learner node never asks, so it never fetches) and answers once a version has arrived; it keeps the
 * newest version, loads it into its own model replica and plays {@link Evaluation} greedily with the settings, from
 * the seed each request names. State lost when it stops: none.
 */
public final class PolicyEvaluator extends AbstractBehavior<PolicyEvaluator.Command> {
    /** How long an evaluation may take before the driver says so and asks again later. */
    public static final Duration TIMEOUT = Duration.ofMinutes(5);

    /** The evaluator's protocol: {@link Evaluate}, and the weights the node delivers. */
    public sealed interface Command permits Evaluate, WeightsArrived {
    }

    /** Plays the newest version greedily, its copies reset from {@code seed}, and answers what it found. */
    public record Evaluate(long seed, ActorRef<Evaluated> replyTo) implements Command,
            NoSerializationVerificationNeeded {
    }

    private record WeightsArrived(PolicyWeights weights) implements Command, NoSerializationVerificationNeeded {
    }

    /**
     * What one evaluation found: the weights played (kept as the run's best checkpoint when they do best) and the
     * figures of the episodes its copies played from {@code seed}, or why it could not play ({@code result} null),
     * and how long it took.
     */
    public record Evaluated(PolicyWeights weights, long seed, Evaluation.Result result, String failure,
                            double seconds)
            implements NoSerializationVerificationNeeded {
        /** The policy version played. */
        public long policyVersion() {
            return weights.version();
        }
    }

    private final EvaluationSettings settings;
    private final TrainSettings train;
    private final EnvRegistry registry;
    private final Supplier<PolicyModel> newModel;
    private final List<Evaluate> waiting = new ArrayList<>();
    private boolean subscribed;
    private PolicyWeights newest;
    private PolicyModel model;

    private PolicyEvaluator(ActorContext<Command> context, EvaluationSettings settings, TrainSettings train,
                            EnvRegistry registry, Supplier<PolicyModel> newModel) {
        super(context);
        this.settings = settings;
        this.train = train;
        this.registry = registry;
        this.newModel = newModel;
    }

    /**
     * Starts the evaluator on {@code system} and returns how to ask it: each call asks for one evaluation with its
     * copies reset from the given seed (completing exceptionally after {@link #TIMEOUT}).
     */
    public static LongFunction<CompletionStage<Evaluated>> start(ActorSystem<?> system, EvaluationSettings settings,
            TrainSettings train, EnvRegistry registry, EnvSpec spec, ModelConfig model, Device device) {
        ActorRef<Command> evaluator = system.systemActorOf(Behaviors.<Command>setup(ctx -> new PolicyEvaluator(ctx,
                settings, train, registry, () -> PolicyModel.create(spec, model, train.seed(), device))),
                "troupe-policy-evaluator", DispatcherSelector.blocking());
        return seed -> AskPattern.ask(evaluator, replyTo -> new Evaluate(seed, replyTo), TIMEOUT,
                system.scheduler());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Evaluate.class, this::onEvaluate)
                .onMessage(WeightsArrived.class, this::onWeights)
                .onSignal(PostStop.class, s -> onPostStop())
                .build();
    }

    private Behavior<Command> onEvaluate(Evaluate request) {
        if (newest != null) {
            request.replyTo().tell(evaluate(newest, request.seed()));
            return this;
        }
        waiting.add(request);
        if (!subscribed) {
            subscribed = true;
            NodeWeights.get(getContext().getSystem()).subscribe(getContext().messageAdapter(PolicyWeights.class,
                    WeightsArrived::new));
        }
        return this;
    }

    private Behavior<Command> onWeights(WeightsArrived arrived) {
        if (newest == null || arrived.weights().version() > newest.version()) {
            newest = arrived.weights();
        }
        waiting.forEach(w -> w.replyTo().tell(evaluate(newest, w.seed())));
        waiting.clear();
        return this;
    }

    private Evaluated evaluate(PolicyWeights weights, long seed) {
        long start = System.nanoTime();
        try {
            if (model == null) {
                model = newModel.get();
            }
            model.load(weights);
            return new Evaluated(weights, seed, Evaluation.run(registry, train.env(), train.envOverrides(), model,
                    settings.episodes(), settings.envs(), seed, Evaluation.Mode.GREEDY), null,
                    (System.nanoTime() - start) / 1e9);
        } catch (RuntimeException e) { // weights of another model, an env that fails: said by the driver, run goes on
            return new Evaluated(weights, seed, null, e.getClass().getSimpleName() + ": " + e.getMessage(),
                    (System.nanoTime() - start) / 1e9);
        }
    }

    private Behavior<Command> onPostStop() {
        if (model != null) {
            model.close();
        }
        return this;
    }
}
