package io.troupe.learners;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The {@code troupe.learner} settings, read once and validated (errors name the key).
 *
 * @param algorithm        {@code ppo} or {@code impala}
 * @param batchUnrolls     unrolls per update, spread over the replay shards
 * @param publishEvery     updates between weight publications
 * @param checkpointEvery  updates between checkpoints (also written when the learner stops)
 * @param checkpointDir    where checkpoints live; a shared file system lets another learner node resume
 * @param chunkBytes       size of the pieces weights are fetched in (well under the remote frame size)
 * @param role             the cluster role of learner nodes (the singleton runs on the oldest)
 * @param dropStaleRewards drop unrolls whose reward version is not the registry's active one (an unroll that
 *                         straddles a switch carries the older version)
 */
public record LearnerSettings(String device, String algorithm, int batchUnrolls, int publishEvery,
                              int checkpointEvery, Path checkpointDir, int chunkBytes, String role,
                              boolean dropStaleRewards) {
    public static final List<String> ALGORITHMS = List.of("ppo", "impala");
    /** The dispatcher learners run on: never Pekko's default dispatcher. */
    public static final String DISPATCHER = "troupe.learner.dispatcher";

    public LearnerSettings {
        algorithm = algorithm.toLowerCase(Locale.ROOT);
        if (!ALGORITHMS.contains(algorithm)) {
            throw new IllegalArgumentException("troupe.learner.algorithm: unknown algorithm '" + algorithm
                    + "'; available: " + String.join(", ", ALGORITHMS));
        }
        if (batchUnrolls < 1 || publishEvery < 1 || checkpointEvery < 1) {
            throw new IllegalArgumentException("troupe.learner: batch-unrolls, publish-every and checkpoint-every "
                    + "must be >= 1");
        }
        if (chunkBytes < 1024 || chunkBytes > 200 * 1024) {
            throw new IllegalArgumentException("troupe.learner.weights-chunk-bytes must be in 1 KiB..200 KiB (under "
                    + "the 256 KiB remote frame), got " + chunkBytes);
        }
    }

    public static LearnerSettings fromConfig(Config c) {
        try {
            return new LearnerSettings(c.getString("device"), c.getString("algorithm"), c.getInt("batch-unrolls"),
                    c.getInt("publish-every"), c.getInt("checkpoint-every"), Path.of(c.getString("checkpoint-dir")),
                    (int) c.getBytes("weights-chunk-bytes").longValue(), c.getString("role"),
                    c.getBoolean("drop-stale-rewards"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.learner: " + e.getMessage(), e);
        }
    }
}
