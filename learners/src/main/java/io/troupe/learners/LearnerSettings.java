package io.troupe.learners;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@code troupe.learner} settings, read once and validated (errors name the key).
 *
 * @param algorithm        PPO, IMPALA or distillation: the job's {@code troupe.train.algorithm}
 * @param batchUnrolls     unrolls per update, spread over the replay shards (the job's: see {@link #fromConfig})
 * @param publishEvery     updates between weight publications
 * @param checkpointEvery  updates between checkpoints (also written when the learner stops)
 * @param checkpointDir    where checkpoints live; a shared file system lets another learner node resume
 * @param chunkBytes       size of the pieces weights are fetched in (well under the remote frame size)
 * @param role             the cluster role of learner nodes (the singleton runs on the oldest)
 * @param dropStaleRewards drop unrolls whose reward version is not the registry's active one (an unroll that
 *                         straddles a switch carries the older version)
 * @param sampleWait       how long one sample request waits at a replay shard that has nothing yet
 * @param partialBatchAfter how long no shard may give anything before the learner trains on the partial batch it
 *                         holds (longer than agents' policy-wait-timeout, so a late or waiting agent does not split a
 *                         batch)
 * @param refusedRetry     how long the learner waits before asking again a shard that refused a sample (a
 *                         configuration error, logged)
 * @param deviceMemoryBudget bytes the learner's model may need on each device (parameters, gradients, Adam state,
 *                         activations; estimated before allocation by {@code MemoryBudget}); 0 = unlimited
 * @param intraOpThreads   PyTorch intra-op threads the learner asks for on its own thread ({@link
 *                         io.troupe.learners.model.TorchThreads}); 0 = the process's setting
 */
public record LearnerSettings(String device, LearnerAlgorithm algorithm, int batchUnrolls, int publishEvery,
                              int checkpointEvery, Path checkpointDir, int chunkBytes, String role,
                              boolean dropStaleRewards, Duration sampleWait, Duration partialBatchAfter,
                              Duration refusedRetry, long deviceMemoryBudget, int intraOpThreads) {
    /** The dispatcher learners run on: never Pekko's default dispatcher. */
    public static final String DISPATCHER = "troupe.learner.dispatcher";
    /** The cluster role learner nodes have: a node's roles are fixed (agent, replay, learner, serve). */
    public static final String ROLE = "learner";
    /** reference.conf's {@code sample-wait}, {@code partial-batch-after} and {@code refused-retry}. */
    public static final Duration SAMPLE_WAIT = Duration.ofMillis(200);
    public static final Duration PARTIAL_BATCH_AFTER = Duration.ofSeconds(5);
    public static final Duration REFUSED_RETRY = Duration.ofSeconds(5);

    public LearnerSettings {
        Objects.requireNonNull(algorithm, "the learner's algorithm");
        if (batchUnrolls < 1 || publishEvery < 1 || checkpointEvery < 1) {
            throw new IllegalArgumentException("the learner's batch (unrolls per update), troupe.learner.publish-every "
                    + "and troupe.learner.checkpoint-every must be >= 1, got " + batchUnrolls + ", " + publishEvery
                    + ", " + checkpointEvery);
        }
        if (chunkBytes < 1024 || chunkBytes > 200 * 1024) {
            throw new IllegalArgumentException("troupe.learner.weights-chunk-bytes must be in 1 KiB..200 KiB (under "
                    + "the 256 KiB remote frame), got " + chunkBytes);
        }
        positive("sample-wait", sampleWait);
        positive("partial-batch-after", partialBatchAfter);
        positive("refused-retry", refusedRetry);
        if (deviceMemoryBudget < 0) {
            throw new IllegalArgumentException("troupe.learner.device-memory-budget must be a size such as 512MiB "
                    + "or unlimited, got " + deviceMemoryBudget + " bytes");
        }
        if (intraOpThreads < 0 || intraOpThreads > 256) {
            throw new IllegalArgumentException("troupe.learner.intra-op-threads must be 0 (the process's setting) or "
                    + "1..256, got " + intraOpThreads);
        }
    }

    /** Settings without a device memory budget. */
    public LearnerSettings(String device, LearnerAlgorithm algorithm, int batchUnrolls, int publishEvery,
                           int checkpointEvery, Path checkpointDir, int chunkBytes, String role,
                           boolean dropStaleRewards, Duration sampleWait, Duration partialBatchAfter,
                           Duration refusedRetry) {
        this(device, algorithm, batchUnrolls, publishEvery, checkpointEvery, checkpointDir, chunkBytes, role,
                dropStaleRewards, sampleWait, partialBatchAfter, refusedRetry, 0, 0);
    }

    /** Settings with reference.conf's sampling timings. */
    public LearnerSettings(String device, LearnerAlgorithm algorithm, int batchUnrolls, int publishEvery,
                           int checkpointEvery, Path checkpointDir, int chunkBytes, String role,
                           boolean dropStaleRewards) {
        this(device, algorithm, batchUnrolls, publishEvery, checkpointEvery, checkpointDir, chunkBytes, role,
                dropStaleRewards, SAMPLE_WAIT, PARTIAL_BATCH_AFTER, REFUSED_RETRY);
    }

    /** These settings with the checkpoints in {@code dir} (a job's run directory resolves a relative one). */
    public LearnerSettings withCheckpointDir(Path dir) {
        return new LearnerSettings(device, algorithm, batchUnrolls, publishEvery, checkpointEvery, dir, chunkBytes,
                role, dropStaleRewards, sampleWait, partialBatchAfter, refusedRetry, deviceMemoryBudget,
                intraOpThreads);
    }

    /**
     * {@code troupe.learner.device-memory-budget}: {@code unlimited} (0) or a size ({@code 512MiB}, {@code 2 GiB},
     * a number of bytes); anything else is an error naming the key.
     */
    public static long parseMemoryBudget(Config c) {
        String key = "device-memory-budget";
        if (!c.hasPath(key) || c.getString(key).strip().equalsIgnoreCase("unlimited")) {
            return 0;
        }
        try {
            long bytes = c.getBytes(key);
            if (bytes < 1) {
                throw new IllegalArgumentException("troupe.learner.device-memory-budget must be positive or "
                        + "unlimited, got " + c.getString(key));
            }
            return bytes;
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.learner.device-memory-budget: '" + c.getString(key)
                    + "' is not a size such as 512MiB, 2 GiB or a number of bytes, nor unlimited", e);
        }
    }

    private static void positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("troupe.learner." + key + " must be a positive duration, got " + d);
        }
    }

    /**
     * Reads {@code troupe.learner} for a learner of {@code algorithm} taking {@code batchUnrolls} unrolls per update:
     * both are the job's ({@code troupe.train.algorithm}; one unroll per env copy for ppo and distill,
     * {@code troupe.impala.batch-unrolls} for impala), never keys of this block. A key that looks like a setting and
     * is not one (algorithm, batch-unrolls, role: each once was, or was documented as one) is refused, naming what
     * decides it, rather than ignored.
     */
    public static LearnerSettings fromConfig(Config c, LearnerAlgorithm algorithm, int batchUnrolls) {
        notASetting(c, "algorithm", "a job's learner trains with troupe.train.algorithm (ppo | impala | distill)");
        notASetting(c, "batch-unrolls", "a job's learner takes one unroll per env copy for ppo and distill, "
                + "troupe.impala.batch-unrolls for impala");
        notASetting(c, "role", "learners run on the nodes of role " + ROLE + " (--roles; node roles are fixed)");
        try {
            return new LearnerSettings(c.getString("device"), algorithm, batchUnrolls,
                    c.getInt("publish-every"), c.getInt("checkpoint-every"), Path.of(c.getString("checkpoint-dir")),
                    (int) c.getBytes("weights-chunk-bytes").longValue(), ROLE,
                    c.getBoolean("drop-stale-rewards"), c.getDuration("sample-wait"),
                    c.getDuration("partial-batch-after"), c.getDuration("refused-retry"), parseMemoryBudget(c),
                    c.getInt("intra-op-threads"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.learner: " + e.getMessage(), e);
        }
    }

    private static void notASetting(Config c, String key, String why) {
        if (c.hasPath(key)) {
            throw new IllegalArgumentException("troupe.learner." + key + " is not a setting: " + why
                    + "; remove it from the config");
        }
    }
}
