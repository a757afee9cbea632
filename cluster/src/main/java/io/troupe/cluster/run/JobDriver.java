package io.troupe.cluster.run;

import io.troupe.cluster.node.ClusterJob;
import io.troupe.actors.Agent;
import io.troupe.learners.Learner;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The reporting loop of a distributed run: every {@link #POLL} it drains the agents' episodes from the run-metrics
 * singleton and checks the target; once per report interval it also asks the learner for its status and writes a
 * metrics line. It stops when the target is reached, a budget is spent or a stop is requested; then it writes the
 * summary.
 */
public final class JobDriver {
    /** How often the agents' episodes are drained and the target checked (lines are written per report interval). */
    static final Duration POLL = Duration.ofMillis(100);
    private final ActorSystem<?> system;
    private final TrainSettings settings;
    private final ClusterJob.Handles job;
    private final RunReporter reporter;
    private final ProgressLine progress;

    public JobDriver(ActorSystem<?> system, TrainSettings settings, ClusterJob.Handles job, RunReporter reporter,
                     ProgressLine progress) {
        this.system = system;
        this.settings = settings;
        this.job = job;
        this.reporter = reporter;
        this.progress = progress;
    }

    /** Runs until the job ends; returns the summary. {@code stop} is polled once per interval. */
    public Map<String, Object> run(BooleanSupplier stop, Map<String, Object> summaryExtra) throws Exception {
        return run(stop, () -> true, summaryExtra);
    }

    /**
     * Runs until the job ends, reporting only while {@code active} holds (on a cluster node: while it hosts the
     * learner singleton; another learner node takes over when it dies); returns the summary, or null when
     * {@code stop} ended a driver that never became active.
     */
    public Map<String, Object> run(BooleanSupplier stop, BooleanSupplier active, Map<String, Object> summaryExtra)
            throws Exception {
        long steps = 0;
        String stopReason = "step budget spent";
        Learner.Status status = null;
        Duration interval = settings.reportInterval();
        Duration poll = interval.compareTo(POLL) < 0 ? interval : POLL;
        boolean wasActive = false;
        boolean waited = false;
        while (true) {
            if (!active.getAsBoolean()) {
                waited = true;
                if (stop.getAsBoolean()) {
                    if (!wasActive) {
                        return null;
                    }
                    stopReason = "interrupted";
                    break;
                }
                CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(interval.toMillis(),
                        TimeUnit.MILLISECONDS)).get();
                continue;
            }
            if (!wasActive && waited) {
                progress.log("this node now hosts the learner singleton: the run is reported from here");
            }
            wasActive = true;
            RunMetrics.Drained drained;
            try {
                drained = AskPattern.<RunMetrics.Command, RunMetrics.Drained>ask(job.metrics(),
                        RunMetrics.Drain::new, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture()
                        .get(15, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // the singletons are moving (their node died or left): they answer once they run here
                progress.log("the run-metrics singleton does not answer yet (" + e.getMessage() + "); retrying");
                if (reporter.outOfTime() || stop.getAsBoolean()) {
                    stopReason = reporter.outOfTime() ? "time budget spent" : "interrupted";
                    break;
                }
                continue;
            }
            for (Agent.EpisodeEnded e : drained.episodes()) {
                reporter.episode(e.episodeReturn(), e.success(), e.rewardVersion(), e.rewardReturn());
            }
            for (Agent.RewardEvent e : drained.rewardEvents()) {
                reporter.rewardFallback();
                progress.log("reward: " + e.agentId() + " could not use reward v" + e.version() + " of "
                        + e.envId() + " (" + e.reason() + "); it uses v" + e.fallbackVersion());
            }
            steps = drained.envSteps();
            boolean solved = reporter.solved(steps);
            boolean last = solved || steps >= settings.maxEnvSteps() || reporter.outOfTime() || stop.getAsBoolean();
            if (!last && !reporter.reportDue()) {
                // episodes are drained every poll, so the target is seen within a poll of being reached; the
                // learner is asked only when a line is due
                CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(poll.toMillis(),
                        TimeUnit.MILLISECONDS)).get();
                continue;
            }
            try {
                status = AskPattern.<Learner.Command, Learner.Status>ask(job.learner(), Learner.GetStatus::new,
                        Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get(35, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                progress.log("the learner does not answer yet (" + e.getMessage() + "); retrying");
                if (reporter.outOfTime() || stop.getAsBoolean()) {
                    stopReason = reporter.outOfTime() ? "time budget spent" : "interrupted";
                    break;
                }
                continue;
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("policy_lag_p50", status.lagP50());
            extra.put("policy_lag_max", status.lagMax());
            extra.put("losses/policy_loss", status.lastPolicyLoss());
            extra.put("losses/value_loss", status.lastValueLoss());
            extra.put("agents/aborted_episodes", drained.aborted());
            reporter.maybeReport(steps, status.updates(), status.policyVersion(), settings.algorithm(), extra, true);
            if (solved) {
                stopReason = "target reached";
                break;
            }
            if (steps >= settings.maxEnvSteps()) {
                break;
            }
            if (reporter.outOfTime()) {
                stopReason = "time budget spent";
                break;
            }
            if (stop.getAsBoolean()) {
                stopReason = "interrupted";
                break;
            }
            CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(poll.toMillis(),
                    TimeUnit.MILLISECONDS)).get();
        }
        Map<String, Object> extra = new LinkedHashMap<>(summaryExtra);
        extra.put("learner_updates", status == null ? 0 : status.updates());
        extra.put("policy_version", status == null ? 0 : status.policyVersion());
        extra.put("model", job.model().describe());
        extra.put("device", job.device().toString());
        return reporter.finish(stopReason, steps, extra);
    }
}
