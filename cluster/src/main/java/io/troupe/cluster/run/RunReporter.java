package io.troupe.cluster.run;

import io.troupe.core.EnvSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What every training run reports: the 100-episode window, the solved check, one metrics line and one progress line
 * per report interval, and the summary. Single-threaded (the run's loop owns it).
 */
public final class RunReporter {
    private final TrainSettings settings;
    private final RunDirectory run;
    private final ProgressLine progress;
    private final EnvSpec spec;
    private final EpisodeWindow window = new EpisodeWindow(100);
    private final OptionalDouble targetReturn;
    private final OptionalDouble targetSuccess;
    private final long start = System.nanoTime();
    private final long reportEvery;
    private long nextReport;
    private long lastSteps;
    private long lastTime = start;
    private Double solvedAt;
    private Long solvedSteps;
    /** Per reward version: episodes, sum of env returns, sum of returns under that reward version. */
    private final Map<Long, double[]> byRewardVersion = new java.util.TreeMap<>();
    private long rewardVersion;
    private long rewardFallbacks;
    /** The latest metrics line with the job's identity, for the admin API (read on other threads). */
    private volatile Map<String, Object> latest;

    public RunReporter(TrainSettings settings, RunDirectory run, ProgressLine progress, EnvSpec spec) {
        this.settings = settings;
        this.run = run;
        this.progress = progress;
        this.spec = spec;
        this.targetReturn = settings.targetReturn().isPresent() ? settings.targetReturn() : spec.rewardThreshold();
        this.targetSuccess = spec.definesSuccess() ? settings.targetSuccessRate() : OptionalDouble.empty();
        this.reportEvery = settings.reportInterval().toNanos();
        this.nextReport = start + reportEvery;
        Map<String, Object> first = job();
        first.put("env_steps", 0L);
        first.put("episodes", 0L);
        first.put("policy_version", 0L);
        first.put("reward_version", 0L);
        this.latest = java.util.Collections.unmodifiableMap(first);
    }

    private Map<String, Object> job() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_id", run.runId());
        m.put("env", spec.id());
        m.put("algorithm", settings.algorithm());
        m.put("mode", settings.mode());
        return m;
    }

    /** The latest metrics line, with run_id, env, algorithm and mode; safe to call from any thread. */
    public Map<String, Object> latest() {
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

    /** Counts reward versions that failed on some agent and were replaced by a fallback. */
    public void rewardFallback() {
        rewardFallbacks++;
    }

    /** Episodes, mean env return and mean reward return per reward version, since the start. */
    public Map<String, Object> returnsByRewardVersion() {
        Map<String, Object> out = new LinkedHashMap<>();
        byRewardVersion.forEach((version, v) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("episodes", (long) v[0]);
            m.put("mean_return", v[1] / v[0]);
            m.put("mean_reward_return", v[2] / v[0]);
            out.put(Long.toString(version), m);
        });
        return out;
    }

    /** Whether the target is reached; the first time, remembers when. */
    public boolean solved(long envSteps) {
        boolean solved = window.full() && (targetSuccess.isPresent()
                ? window.successRate() >= targetSuccess.getAsDouble()
                : targetReturn.isPresent() && window.meanReturn() >= targetReturn.getAsDouble());
        if (solved && solvedAt == null) {
            solvedAt = elapsed();
            solvedSteps = envSteps;
        }
        return solved;
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

    /** Writes a metrics line and updates the progress line if the report interval has passed (or if forced). */
    public void maybeReport(long envSteps, long learnerUpdates, long policyVersion, String policy,
                            Map<String, Object> extra, boolean force) {
        long now = System.nanoTime();
        if (!force && now < nextReport) {
            return;
        }
        double rate = (envSteps - lastSteps) / Math.max((now - lastTime) / 1e9, 1e-9);
        lastSteps = envSteps;
        lastTime = now;
        nextReport = now + reportEvery;
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("wall_s", Math.round(elapsed() * 1000) / 1000.0);
        line.put("env_steps", envSteps);
        line.put("episodes", window.episodes());
        line.put("mean_return_100", window.meanReturn());
        if (spec.definesSuccess()) {
            line.put("success_rate_100", window.successRate());
        }
        line.put("steps_per_s", Math.round(rate));
        line.put("learner_updates", learnerUpdates);
        line.put("policy_version", policyVersion);
        line.put("policy_lag_p50", 0);
        line.put("policy_lag_max", 0);
        line.put("reward_version", rewardVersion);
        line.put("returns_by_reward_version", returnsByRewardVersion());
        line.put("reward_fallbacks", rewardFallbacks);
        line.putAll(extra);
        run.appendMetrics(line);
        Map<String, Object> snapshot = job();
        snapshot.putAll(line);
        latest = java.util.Collections.unmodifiableMap(snapshot);
        progress.update(String.format("%s %s | steps %,d | episodes %,d | return(100) %.1f%s | %,.0f steps/s | "
                        + "policy v%d (%s) | lag %s | reward v%d", spec.id(), settings.algorithm(), envSteps,
                window.episodes(), window.meanReturn(), spec.definesSuccess() ? String.format(" | success(100) %.2f",
                        window.successRate()) : "", rate, policyVersion, policy, line.get("policy_lag_p50"),
                rewardVersion));
    }

    /** Writes and returns the summary. */
    public Map<String, Object> finish(String stopReason, long envSteps, Map<String, Object> extra) {
        progress.finish();
        double wall = elapsed();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("run_id", run.runId());
        summary.put("env", spec.id());
        summary.put("algorithm", settings.algorithm());
        summary.put("seed", settings.seed());
        summary.put("solved", solvedAt != null);
        summary.put("stop_reason", stopReason);
        summary.put("target_return", targetReturn.isPresent() ? targetReturn.getAsDouble() : null);
        summary.put("target_success_rate", targetSuccess.isPresent() ? targetSuccess.getAsDouble() : null);
        summary.put("wall_s_to_solve", solvedAt);
        summary.put("env_steps_to_solve", solvedSteps);
        summary.put("wall_s", wall);
        // the JVM's own start (the launcher's Maven freshness check runs before it): what "from launch" means here
        double sinceLaunch = (System.currentTimeMillis()
                - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime()) / 1000.0;
        summary.put("wall_s_since_jvm_start", sinceLaunch);
        summary.put("wall_s_to_solve_since_jvm_start", solvedAt == null ? null : solvedAt + sinceLaunch - wall);
        summary.put("env_steps", envSteps);
        summary.put("episodes", window.episodes());
        summary.put("mean_return_100", window.meanReturn());
        if (spec.definesSuccess()) {
            summary.put("success_rate_100", window.successRate());
        }
        summary.put("steps_per_s", envSteps / Math.max(wall, 1e-9));
        summary.put("returns_by_reward_version", returnsByRewardVersion());
        summary.put("reward_fallbacks", rewardFallbacks);
        summary.putAll(extra);
        run.writeSummary(summary);
        return summary;
    }
}
