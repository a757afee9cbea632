package io.troupe.cluster.run;

import com.typesafe.config.Config;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.core.PolicyWeights;
import io.troupe.learners.LearnerCheckpoint;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * {@code runs/<run-id>/}: the resolved config ({@code config.conf}), one JSON object per report
 * ({@code metrics.jsonl}), checkpoints, and the final {@code summary.json}. The run id records env, algorithm, seed
 * and start time.
 */
public final class RunDirectory implements AutoCloseable {
    /** The folder under {@code checkpoints/} that holds the best greedy evaluation's weights. */
    public static final String BEST = "best";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final Path dir;
    private final String runId;
    private final BufferedWriter metrics;

    private RunDirectory(Path dir, String runId) throws IOException {
        this.dir = dir;
        this.runId = runId;
        Files.createDirectories(dir.resolve("checkpoints"));
        this.metrics = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Creates {@code runsDir/<env>-<algorithm>-s<seed>-<yyyyMMdd-HHmmss>[-n]/}. */
    public static RunDirectory create(Path runsDir, String env, Algorithm algorithm, long seed, LocalDateTime start) {
        String base = env.replace('/', '_') + "-" + algorithm.id() + "-s" + seed + "-" + TIME.format(start);
        try {
            Files.createDirectories(runsDir);
            String id = base;
            for (int n = 2; Files.exists(runsDir.resolve(id)); n++) {
                id = base + "-" + n;
            }
            return new RunDirectory(runsDir.resolve(id), id);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create run directory under " + runsDir + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return dir;
    }

    public String runId() {
        return runId;
    }

    /** Writes {@code config.conf}: the resolved {@code troupe} settings, secrets redacted. */
    public void writeConfig(Config config) {
        write("config.conf", JobConfig.renderTroupe(config));
    }

    /** Appends one metrics line and flushes it, so a crash loses at most the line being written. */
    public void appendMetrics(MetricsLine line) {
        try {
            metrics.write(JsonCodec.write(line));
            metrics.newLine();
            metrics.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("metrics.jsonl"), e);
        }
    }

    /**
     * Keeps {@code weights} as the run's {@code checkpoints/best/} (a policy without optimizer state, replacing the
     * one there; {@code updates} -1: an evaluation does not know the learner's count) and returns that folder.
     */
    public Path saveBestPolicy(PolicyWeights weights, long envSteps) {
        Path best = dir.resolve("checkpoints").resolve(BEST);
        LearnerCheckpoint.savePolicy(best, weights, new LearnerCheckpoint.Counters(-1, envSteps, weights.version()));
        return best;
    }

    public void writeSummary(RunSummary summary) {
        write("summary.json", JsonCodec.pretty(summary));
    }

    private void write(String name, String content) {
        try {
            Path tmp = dir.resolve(name + ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
        }
    }

    @Override
    public void close() {
        try {
            metrics.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
