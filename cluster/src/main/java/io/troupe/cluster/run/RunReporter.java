package io.troupe.cluster.run;

import io.troupe.core.EnvSpec;
import io.troupe.core.EpisodeWindow;
import io.troupe.core.PolicyWeights;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * What every training run reports: the 100-episode window, the solved check, one {@link MetricsLine} and one progress
 * line per report interval, and the {@link RunSummary}. Single-threaded (the run's loop owns it), except
 * {@link #latest()}.
 */
public final class RunReporter {
    private final TrainSettings settings;
    private final Algorithm algorithm;
    private final RunMode mode;
    private final RunDirectory run;
    private final ProgressLine progress;
    private final EnvSpec spec;
    private final EpisodeWindow window = new EpisodeWindow(100);
    private final OptionalDouble targetReturn;
    private final OptionalDouble targetSuccess;
    private final EvaluationSettings.SolvedBy solvedBy;
    private final int passesToSolve;
    private final long start = System.nanoTime();
    private final long reportEvery;
    private long nextReport;
    private long lastSteps;
    private long lastTime = start;
    private Double solvedAt;
    private Long solvedSteps;
    /** Per reward version: episodes, sum of env returns, sum of returns under that reward version. */
    private final Map<Long, double[]> byRewardVersion = new TreeMap<>();
    private long rewardVersion;
    private long rewardFallbacks;
    /** The last greedy evaluation, and whether a metrics line has carried it yet. */
    private EvaluationFigures lastEvaluation;
    private boolean evaluationReported = true;
    /** The best greedy evaluation (its weights are checkpoints/best) and how many in a row reached the target. */
    private EvaluationFigures bestEvaluation;
    private int passesInARow;
    /**
     * An env with a curriculum: its stages (1: none) and, since the last line, the episodes that ended, the sum of
     * their stages, how many were played at the level itself and how many of the others succeeded.
     */
    private int stages = 1;
    private long stageEpisodes;
    private long stageSum;
    private long levelEpisodes;
    private long stageSuccesses;
    /** The latest metrics line with the job's identity, for the admin API (read on other threads). */
    private volatile JobSnapshot latest;

    /** A reporter whose window decides "solved". */
    public RunReporter(TrainSettings settings, RunDirectory run, ProgressLine progress, EnvSpec spec) {
        this(settings, run, progress, spec, EvaluationSettings.OFF);
    }

    /**
     * A reporter whose window or greedy evaluations ({@link #evaluated}) decide "solved", as {@code evaluation}'s
     * {@code solved-by} and {@code passes} say.
     */
    public RunReporter(TrainSettings settings, RunDirectory run, ProgressLine progress, EnvSpec spec,
                       EvaluationSettings evaluation) {
        this.solvedBy = evaluation.solvedBy();
        this.passesToSolve = evaluation.passes();
        this.settings = settings;
        this.algorithm = settings.algorithm();
        this.mode = settings.mode();
        this.run = run;
        this.progress = progress;
        this.spec = spec;
        this.targetReturn = settings.targetReturn().isPresent() ? settings.targetReturn() : spec.rewardThreshold();
        this.targetSuccess = spec.definesSuccess() ? settings.targetSuccessRate() : OptionalDouble.empty();
        this.reportEvery = settings.reportInterval().toNanos();
        this.nextReport = start + reportEvery;
        this.latest = snapshot(MetricsLine.start());
    }

    private JobSnapshot snapshot(MetricsLine line) {
        return new JobSnapshot(run.runId(), spec.id(), algorithm, mode, null, line);
    }

    /** The latest metrics line, with run_id, env, algorithm and mode; safe to call from any thread. */
    public JobSnapshot latest() {
        return latest;
    }

    /** Records a finished episode under the env's own reward (reward version 0). */
    public void episode(double episodeReturn, boolean success) {
        episode(episodeReturn, success, 0, episodeReturn);
    }

    /**
     * Records a finished episode: {@code episodeReturn} is the env's own return (targets are about it),
     * {@code rewardReturn} its return under reward version {@code version}.
     */
    public void episode(double episodeReturn, boolean success, long version, double rewardReturn) {
        window.add(episodeReturn, success);
        double[] v = byRewardVersion.computeIfAbsent(version, x -> new double[3]);
        v[0]++;
        v[1] += episodeReturn;
        v[2] += rewardReturn;
        rewardVersion = version;
    }

    /**
     * Records a finished episode played at stage {@code stage} of a curriculum of {@code stages} (0 of 1: the env has
     * none): only episodes at the level itself (the last stage) count in the window, the target and the returns per
     * reward version; every episode counts in the {@code curriculum/*} figures.
     */
    public void episode(double episodeReturn, boolean success, long version, double rewardReturn, int stage,
                        int stages) {
        if (stages > 1) {
            this.stages = stages;
            stageEpisodes++;
            stageSum += stage;
            if (stage < stages - 1) {
                stageSuccesses += success ? 1 : 0;
                rewardVersion = version; // the version the agents use, whatever the stage
                return;
            }
            levelEpisodes++;
        }
        episode(episodeReturn, success, version, rewardReturn);
    }

    /** Counts reward versions that failed on some agent and were replaced by a fallback. */
    public void rewardFallback() {
        rewardFallbacks++;
    }

    /** Episodes, mean env return and mean reward return per reward version, since the start. */
    public Map<String, VersionReturns> returnsByRewardVersion() {
        Map<String, VersionReturns> out = new LinkedHashMap<>();
        byRewardVersion.forEach((version, v) -> out.put(Long.toString(version), new VersionReturns((long) v[0],
                v[1] / v[0], v[2] / v[0])));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Whether the target is reached (by the window, or by a greedy evaluation when those decide); the first time the
     * window reaches it, remembers when.
     */
    public boolean solved(long envSteps) {
        if (solvedBy == EvaluationSettings.SolvedBy.EVALUATION) {
            return solvedSteps != null;
        }
        boolean solved = window.full() && (targetSuccess.isPresent()
                ? window.successRate() >= targetSuccess.getAsDouble()
                : targetReturn.isPresent() && window.meanReturn() >= targetReturn.getAsDouble());
        if (solved && solvedAt == null) {
            solvedAt = elapsed();
            solvedSteps = envSteps;
        }
        return solved;
    }

    /**
     * What {@link #evaluated} made of a greedy evaluation.
     *
     * @param reached whether it reached the target (the success rate for envs that report success, else the mean
     *                return)
     * @param inARow  evaluations in a row, this one included, that reached it (0 when this one did not)
     * @param best    the folder its weights were kept in as the run's best so far; null when an earlier one did better
     */
    public record EvaluationVerdict(boolean reached, int inARow, Path best) {
    }

    /**
     * Records a greedy evaluation of {@code weights} (its copies reset from {@code seed}), asked for at
     * {@code envSteps}: its figures go into the next metrics line ({@code eval/*}) and the summary; when it does at
     * least as well as every earlier one its weights become the run's {@code checkpoints/best/} (a failure to write
     * them is printed and the run goes on); when evaluations decide "solved" and this one is the {@code passes}-th in
     * a row to reach the target, the run is solved at {@code envSteps}.
     */
    public EvaluationVerdict evaluated(PolicyWeights weights, long seed, Evaluation.Result result, long envSteps) {
        Double success = spec.definesSuccess() ? result.successRate() : null;
        EvaluationFigures figures = new EvaluationFigures(weights.version(), envSteps, seed, result.episodes(),
                result.meanReturn(), success, result.meanLength());
        lastEvaluation = figures;
        evaluationReported = false;
        boolean reached = targetSuccess.isPresent() ? success != null && success >= targetSuccess.getAsDouble()
                : targetReturn.isPresent() && result.meanReturn() >= targetReturn.getAsDouble();
        passesInARow = reached ? passesInARow + 1 : 0;
        if (passesInARow >= passesToSolve && solvedBy == EvaluationSettings.SolvedBy.EVALUATION && solvedAt == null) {
            solvedAt = elapsed();
            solvedSteps = envSteps;
        }
        Path best = null;
        if (bestEvaluation == null || score(figures) >= score(bestEvaluation)) {
            try {
                best = run.saveBestPolicy(weights, envSteps);
                bestEvaluation = figures;
            } catch (UncheckedIOException e) {
                progress.log("could not keep policy v" + weights.version() + " as the best evaluated: "
                        + e.getMessage() + "; the run goes on");
            }
        }
        return new EvaluationVerdict(reached, passesInARow, best);
    }

    /** What ranks evaluations: the success rate for envs that report success, else the mean return. */
    private static double score(EvaluationFigures e) {
        return e.successRate() != null ? e.successRate() : e.meanReturn();
    }

    /** Whether the report interval has passed since the last line. */
    public boolean reportDue() {
        return System.nanoTime() >= nextReport;
    }

    public double elapsed() {
        return (System.nanoTime() - start) / 1e9;
    }

    public boolean outOfTime() {
        return System.nanoTime() - start >= settings.maxWallTime().toNanos();
    }

    private Double successRate() {
        return spec.definesSuccess() ? window.successRate() : null;
    }

    /** Writes a metrics line and updates the progress line if the report interval has passed (or if forced). */
    public void maybeReport(long envSteps, LearnerReport learner, boolean force) {
        long now = System.nanoTime();
        if (!force && now < nextReport) {
            return;
        }
        double rate = (envSteps - lastSteps) / Math.max((now - lastTime) / 1e9, 1e-9);
        lastSteps = envSteps;
        lastTime = now;
        nextReport = now + reportEvery;
        String curriculum = curriculumFigures();
        MetricsLine line = new MetricsLine(Math.round(elapsed() * 1000) / 1000.0, envSteps, window.episodes(),
                window.meanReturn(), successRate(), Math.round(rate), learner.updates(), learner.policyVersion(),
                learner.policyLagP50(), learner.policyLagMax(), rewardVersion, returnsByRewardVersion(),
                rewardFallbacks, withCurriculum(withEvaluation(learner.figures())));
        run.appendMetrics(line);
        latest = snapshot(line);
        progress.update(String.format("%s %s | steps %,d | episodes %,d | return(100) %.1f%s | %,.0f steps/s | "
                        + "policy v%d (%s) | lag %d | reward v%d%s", spec.id(), algorithm, envSteps,
                window.episodes(), window.meanReturn(), spec.definesSuccess() ? String.format(" | success(100) %.2f",
                        window.successRate()) : "", rate, learner.policyVersion(), learner.policy(),
                learner.policyLagP50(), rewardVersion, curriculum));
        stageEpisodes = 0;
        stageSum = 0;
        levelEpisodes = 0;
        stageSuccesses = 0;
    }

    /** The progress line's curriculum part: the mean stage (1-based) of the episodes since the last line. */
    private String curriculumFigures() {
        if (stages == 1) {
            return "";
        }
        return stageEpisodes == 0 ? String.format(" | stage -/%d", stages)
                : String.format(" | stage %.2f/%d", 1 + (double) stageSum / stageEpisodes, stages);
    }

    /**
     * With a curriculum, over the episodes since the last line: {@code curriculum/episodes}, {@code
     * curriculum/mean_stage} (1-based: {@code stages} when all were at the level) and {@code curriculum/at_level}
     * (the share played at the level itself, the last stage) and {@code curriculum/stage_success} (the success rate of
     * the others: the earlier stages' episodes).
     */
    private Map<String, Number> withCurriculum(Map<String, Number> figures) {
        if (stages == 1) {
            return figures;
        }
        Map<String, Number> all = new LinkedHashMap<>(figures);
        all.put("curriculum/stages", stages);
        all.put("curriculum/episodes", stageEpisodes);
        if (stageEpisodes > 0) {
            all.put("curriculum/mean_stage", 1 + (double) stageSum / stageEpisodes);
            all.put("curriculum/at_level", (double) levelEpisodes / stageEpisodes);
        }
        if (stageEpisodes > levelEpisodes) {
            all.put("curriculum/stage_success", (double) stageSuccesses / (stageEpisodes - levelEpisodes));
        }
        return all;
    }

    /** The learner's figures, then those of an evaluation no line has carried yet ({@code eval/*}). */
    private Map<String, Number> withEvaluation(Map<String, Number> learner) {
        if (evaluationReported) {
            return learner;
        }
        evaluationReported = true;
        EvaluationFigures e = lastEvaluation;
        Map<String, Number> all = new LinkedHashMap<>(learner);
        all.put("eval/policy_version", e.policyVersion());
        all.put("eval/env_steps", e.envSteps());
        all.put("eval/seed", e.seed());
        all.put("eval/greedy_mean_return", e.meanReturn());
        if (e.successRate() != null) {
            all.put("eval/greedy_success_rate", e.successRate());
        }
        all.put("eval/greedy_mean_length", e.meanLength());
        return all;
    }

    /** Writes and returns the summary. */
    public RunSummary finish(StopReason stopReason, long envSteps, RunFacts facts) {
        progress.finish();
        double wall = elapsed();
        // the JVM's own start (the launcher's Maven freshness check runs before it): what "from launch" means here
        double sinceLaunch = (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime())
                / 1000.0;
        RunSummary summary = new RunSummary(run.runId(), spec.id(), algorithm, settings.seed(), solvedAt != null,
                stopReason, targetReturn.isPresent() ? targetReturn.getAsDouble() : null,
                targetSuccess.isPresent() ? targetSuccess.getAsDouble() : null, solvedAt, solvedSteps, wall,
                sinceLaunch, solvedAt == null ? null : solvedAt + sinceLaunch - wall, envSteps, window.episodes(),
                window.meanReturn(), successRate(), envSteps / Math.max(wall, 1e-9), returnsByRewardVersion(),
                rewardFallbacks, lastEvaluation, bestEvaluation, facts);
        run.writeSummary(summary);
        return summary;
    }
}
