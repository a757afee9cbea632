package io.troupe.cluster.run;

import io.troupe.actors.Agent;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.Learner;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The reporting side of a distributed run, as an actor: every {@code troupe.driver.poll-interval} (a timer) it drains
 * the agents' episodes from the run-metrics singleton and checks the target; when a metrics line is due (or the run
 * ends) it also asks the learner for its status and writes the line. It ends the run when the target is reached, a
 * budget is spent or a stop is requested, writes the summary and completes its result with it. At most one request is
 * outstanding: a tick that finds one in flight does nothing, and a request that times out is said and retried at the
 * next tick. With {@code troupe.train.evaluation} it also asks for a greedy evaluation of the newest published policy
 * every N env steps ({@link PolicyEvaluator}; at most one at a time, the run going on meanwhile), whose figures are
 * reported and, where the config says so, decide "solved" instead of the window. It runs on the blocking-I/O dispatcher (it writes the run's files). State lost when it stops: none (the
 * summary is written).
 *
 * <p>On a cluster node every learner node runs a driver; it reports only while {@code active} holds (while the node
 * hosts the learner singleton), and a driver that was never active completes with no summary when interrupted. A driver
 * that becomes active after another node began to end the job ({@code stop} says {@link StopReason#ENDED_ELSEWHERE}:
 * that node died between raising the end's first flag and its second) ends the run at once, so its node can finish
 * the job's end; an inactive driver goes on waiting, since it may have to.
 */
public final class JobDriver extends AbstractBehavior<JobDriver.Command> {
    /** The driver's protocol: all internal (timer ticks and answers); the run ends by itself or by {@code stop}. */
    public sealed interface Command permits Tick, DrainAnswer, StatusAnswer, EvaluationAnswer {
    }

    private enum Tick implements Command { INSTANCE }

    private record DrainAnswer(RunMetrics.Drained drained, Throwable failure) implements Command,
            NoSerializationVerificationNeeded {
    }

    private record StatusAnswer(Learner.Status status, Throwable failure) implements Command,
            NoSerializationVerificationNeeded {
    }

    private record EvaluationAnswer(PolicyEvaluator.Evaluated evaluated, Throwable failure) implements Command,
            NoSerializationVerificationNeeded {
    }

    private final TrainSettings settings;
    private final DriverSettings driver;
    private final Evaluations evaluations;
    private final ClusterJob.Handles job;
    private final RunReporter reporter;
    private final ProgressLine progress;
    private final Supplier<Optional<StopReason>> stop;
    private final BooleanSupplier active;
    private final RunFacts facts;
    private final CompletableFuture<Optional<RunSummary>> result;

    private boolean inFlight;
    private boolean wasActive;
    private boolean waited;
    private long steps;
    private boolean solved;
    private long aborted;
    private Learner.Status status;
    private boolean evaluating;
    private long evaluationAskedAt;
    private long nextEvaluationAt;
    private long evaluationsAsked;

    /**
     * The run's greedy evaluations: when they are due ({@code settings}) and how to ask for one ({@code ask}, e.g.
     * {@link PolicyEvaluator#start}).
     */
    public record Evaluations(EvaluationSettings settings,
                              LongFunction<? extends CompletionStage<PolicyEvaluator.Evaluated>> ask) {
        /** None: the window decides. */
        public static final Evaluations NONE = new Evaluations(EvaluationSettings.OFF, seed -> {
            throw new IllegalStateException("no evaluations in this run");
        });

        /** The job's evaluations as {@code settings} say, by a {@link PolicyEvaluator} on {@code system}; or none. */
        public static Evaluations of(ActorSystem<?> system, EvaluationSettings settings, TrainSettings train,
                                     EnvRegistry registry, ClusterJob.Handles job) {
            return settings.enabled() ? new Evaluations(settings, PolicyEvaluator.start(system, settings, train,
                    registry, job.spec(), job.model(), job.device())) : NONE;
        }
    }

    private JobDriver(ActorContext<Command> context, TimerScheduler<Command> timers, TrainSettings settings,
                      DriverSettings driver, Evaluations evaluations, ClusterJob.Handles job, RunReporter reporter,
                      ProgressLine progress, Supplier<Optional<StopReason>> stop, BooleanSupplier active,
                      RunFacts facts, CompletableFuture<Optional<RunSummary>> result) {
        super(context);
        this.settings = settings;
        this.driver = driver;
        this.evaluations = evaluations;
        this.nextEvaluationAt = evaluations.settings().everyEnvSteps();
        this.job = job;
        this.reporter = reporter;
        this.progress = progress;
        this.stop = stop;
        this.active = active;
        this.facts = facts;
        this.result = result;
        // a report interval shorter than the poll interval polls at the report interval
        timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ZERO,
                settings.reportInterval().compareTo(driver.pollInterval()) < 0 ? settings.reportInterval()
                        : driver.pollInterval());
    }

    /**
     * Starts a driver on {@code system} and returns its result: the summary, or empty when an interrupt ended a driver
     * that never became active. {@code stop} (why the run must end now though no target or budget says so:
     * {@link StopReason#INTERRUPTED} or {@link StopReason#ENDED_ELSEWHERE}; empty: go on) and {@code active} are read
     * at every tick.
     */
    public static CompletableFuture<Optional<RunSummary>> start(ActorSystem<?> system, TrainSettings settings,
            DriverSettings driver, ClusterJob.Handles job, RunReporter reporter, ProgressLine progress,
            Supplier<Optional<StopReason>> stop, BooleanSupplier active, RunFacts facts) {
        return start(system, settings, driver, Evaluations.NONE, job, reporter, progress, stop, active, facts);
    }

    /**
     * {@link #start} with greedy evaluations: one is asked for every {@code every-env-steps} env steps (never two at
     * once), its figures reported ({@link RunReporter#evaluated}), and, where evaluations decide, the run ends as
     * solved after one reaches the target. A failed or late evaluation is said and the run goes on.
     */
    public static CompletableFuture<Optional<RunSummary>> start(ActorSystem<?> system, TrainSettings settings,
            DriverSettings driver, Evaluations evaluations, ClusterJob.Handles job, RunReporter reporter,
            ProgressLine progress, Supplier<Optional<StopReason>> stop, BooleanSupplier active, RunFacts facts) {
        CompletableFuture<Optional<RunSummary>> result = new CompletableFuture<>();
        system.systemActorOf(Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers -> new JobDriver(ctx, timers,
                settings, driver, evaluations, job, reporter, progress, stop, active, facts, result))),
                "troupe-job-driver", DispatcherSelector.blocking());
        return result;
    }

    /** A {@code stop} for {@link #start} that interrupts the run when {@code interrupted} holds. */
    public static Supplier<Optional<StopReason>> interruptWhen(BooleanSupplier interrupted) {
        return () -> interrupted.getAsBoolean() ? Optional.of(StopReason.INTERRUPTED) : Optional.empty();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Tick.INSTANCE, this::onTick)
                .onMessage(DrainAnswer.class, this::onDrained)
                .onMessage(StatusAnswer.class, this::onStatus)
                .onMessage(EvaluationAnswer.class, this::onEvaluated)
                .onSignal(PostStop.class, s -> onPostStop())
                .build();
    }

    private Behavior<Command> onTick() {
        if (inFlight) {
            return this;
        }
        if (!active.getAsBoolean()) {
            waited = true;
            if (interrupted()) {
                return wasActive ? finish(StopReason.INTERRUPTED) : finishInactive();
            }
            return this;
        }
        if (!wasActive && waited) {
            progress.log("this node now hosts the learner singleton: the run is reported from here");
        }
        wasActive = true;
        inFlight = true;
        getContext().ask(RunMetrics.Drained.class, job.metrics(), driver.metricsTimeout(), RunMetrics.Drain::new,
                DrainAnswer::new);
        return this;
    }

    private Behavior<Command> onDrained(DrainAnswer answer) {
        if (answer.failure() != null) {
            // the singletons are moving (their node died or left): they answer once they run here
            progress.log("the run-metrics singleton does not answer yet (" + answer.failure().getMessage()
                    + "); retrying");
            return retryOrEnd();
        }
        RunMetrics.Drained drained = answer.drained();
        for (Agent.EpisodeEnded e : drained.episodes()) {
            reporter.episode(e.episodeReturn(), e.success(), e.rewardVersion(), e.rewardReturn(), e.stage(),
                    e.stages());
        }
        for (Agent.RewardEvent e : drained.rewardEvents()) {
            reporter.rewardFallback();
            progress.log("reward: " + e.agentId() + " could not use reward v" + e.version() + " of "
                    + e.envId() + " (" + e.reason() + "); it uses v" + e.fallbackVersion());
        }
        steps = drained.envSteps();
        aborted = drained.aborted();
        maybeEvaluate();
        solved = reporter.solved(steps);
        if (end().isEmpty() && !reporter.reportDue()) {
            // episodes are drained every poll, so the target is seen within a poll of being reached; the learner is
            // asked only when a line is due
            inFlight = false;
            return this;
        }
        getContext().ask(Learner.Status.class, job.learner(), driver.statusTimeout(), Learner.GetStatus::new,
                StatusAnswer::new);
        return this;
    }

    private Behavior<Command> onStatus(StatusAnswer answer) {
        if (answer.failure() != null) {
            progress.log("the learner does not answer yet (" + answer.failure().getMessage() + "); retrying");
            return retryOrEnd();
        }
        status = answer.status();
        Map<String, Number> figures = new LinkedHashMap<>();
        figures.put("losses/policy_loss", status.lastPolicyLoss());
        figures.put("losses/value_loss", status.lastValueLoss());
        figures.put("losses/entropy", status.lastEntropy());
        figures.put("losses/approx_kl", status.lastApproxKl());
        figures.put("agents/aborted_episodes", aborted);
        reporter.maybeReport(steps, new LearnerReport(status.updates(), status.policyVersion(),
                settings.algorithm().id(), status.lagP50(), status.lagMax(), figures), true);
        Optional<StopReason> end = end();
        if (end.isPresent()) {
            return finish(end.get());
        }
        inFlight = false;
        return this;
    }

    private void maybeEvaluate() {
        if (!evaluations.settings().enabled() || evaluating || steps < nextEvaluationAt) {
            return;
        }
        evaluating = true;
        evaluationAskedAt = steps;
        nextEvaluationAt = steps + evaluations.settings().everyEnvSteps();
        getContext().pipeToSelf(evaluations.ask().apply(evaluations.settings().seedOf(evaluationsAsked++)),
                EvaluationAnswer::new);
    }

    private Behavior<Command> onEvaluated(EvaluationAnswer answer) {
        evaluating = false;
        PolicyEvaluator.Evaluated e = answer.evaluated();
        if (answer.failure() != null || e.result() == null) {
            progress.log("greedy evaluation asked at " + String.format("%,d", evaluationAskedAt) + " env steps failed ("
                    + (answer.failure() != null ? answer.failure().getMessage() : e.failure()) + "); the run goes on");
            return this;
        }
        Evaluation.Result r = e.result();
        RunReporter.EvaluationVerdict verdict = reporter.evaluated(e.weights(), e.seed(), r, evaluationAskedAt);
        int passes = evaluations.settings().passes();
        String reached = !verdict.reached() ? "" : passes == 1 ? " (target reached)"
                : String.format(" (target reached, %d of %d in a row)", Math.min(verdict.inARow(), passes), passes);
        progress.log(String.format("greedy evaluation of policy v%d at %,d env steps: %smean return %.3f, mean length "
                        + "%.1f over %d episodes in %.1f s%s%s", e.policyVersion(), evaluationAskedAt,
                job.spec().definesSuccess() ? String.format("success %.3f, ", r.successRate()) : "", r.meanReturn(),
                r.meanLength(), r.episodes(), e.seconds(), reached,
                verdict.best() != null ? "; the best so far, kept in " + verdict.best() : ""));
        return this;
    }

    /** Why the run ends now, if it does (checked in this order). */
    private Optional<StopReason> end() {
        if (solved) {
            return Optional.of(StopReason.TARGET_REACHED);
        }
        if (steps >= settings.maxEnvSteps()) {
            return Optional.of(StopReason.STEP_BUDGET_SPENT);
        }
        if (reporter.outOfTime()) {
            return Optional.of(StopReason.TIME_BUDGET_SPENT);
        }
        return stop.get();
    }

    private boolean interrupted() {
        return stop.get().filter(r -> r == StopReason.INTERRUPTED).isPresent();
    }

    /** After a request that got no answer: ends the run when a budget is spent or a stop was asked, else retries. */
    private Behavior<Command> retryOrEnd() {
        inFlight = false;
        if (reporter.outOfTime()) {
            return finish(StopReason.TIME_BUDGET_SPENT);
        }
        Optional<StopReason> reason = stop.get();
        return reason.isPresent() ? finish(reason.get()) : this;
    }

    private Behavior<Command> finish(StopReason reason) {
        result.complete(Optional.of(reporter.finish(reason, steps, facts.withLearner(
                status == null ? 0 : status.updates(), status == null ? 0 : status.policyVersion(),
                job.model().describe(), null, job.device().toString()))));
        return Behaviors.stopped();
    }

    /**
     * Stopped before the run ended (the node is shutting down, or the driver failed: Pekko logs why): an active
     * driver still writes the summary, as interrupted.
     */
    private Behavior<Command> onPostStop() {
        if (!result.isDone()) {
            if (wasActive) {
                finish(StopReason.INTERRUPTED);
            } else {
                finishInactive();
            }
        }
        return this;
    }

    private Behavior<Command> finishInactive() {
        result.complete(Optional.empty());
        return Behaviors.stopped();
    }
}
