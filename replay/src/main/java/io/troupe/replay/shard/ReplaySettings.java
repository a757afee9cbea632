package io.troupe.replay.shard;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.troupe.replay.durable.Durability;
import io.troupe.replay.table.RateLimiter;
import io.troupe.replay.table.RateLimiters;
import io.troupe.replay.table.SelectorSpec;
import io.troupe.replay.table.Selectors;
import io.troupe.replay.table.Table;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The {@code troupe.replay} settings, read once and validated at start-up (errors name the key). See the module's
 * {@code reference.conf} for every key with its default.
 */
public record ReplaySettings(int shards, String role, SelectorSpec sampler, SelectorSpec remover, int maxSize,
                             int maxTimesSampled, String rateLimiterKind, long minSizeToSample,
                             double samplesPerInsert, double errorBuffer, Duration sampleTimeout,
                             int maxMessageBytes, Duration keepAliveInterval, Durability durability, Path directory,
                             Duration checkpointInterval, long segmentBytes, long compactAfterBytes) {
    /** The cluster role of the nodes that host replay shards: a node's roles are fixed (agent, replay, learner, serve). */
    public static final String ROLE = "replay";

    public ReplaySettings {
        if (shards < 1) {
            throw new IllegalArgumentException("troupe.replay.shards must be >= 1, got " + shards);
        }
        if (maxSize < 1) {
            throw new IllegalArgumentException("troupe.replay.table.max-size must be >= 1, got " + maxSize);
        }
        if (maxTimesSampled < 0) {
            throw new IllegalArgumentException("troupe.replay.table.max-times-sampled must be >= 0, got "
                    + maxTimesSampled);
        }
        if (maxMessageBytes < 4096) {
            throw new IllegalArgumentException("troupe.replay.max-message-bytes must be >= 4096, got " + maxMessageBytes);
        }
        if (sampleTimeout.isNegative() || sampleTimeout.isZero()) {
            throw new IllegalArgumentException("troupe.replay.sample-timeout must be positive");
        }
        if (segmentBytes < 1024 || compactAfterBytes < segmentBytes) {
            throw new IllegalArgumentException("troupe.replay.durability: segment-bytes must be >= 1 KiB and "
                    + "compact-after-bytes >= segment-bytes");
        }
        newRateLimiter(rateLimiterKind, minSizeToSample, samplesPerInsert, errorBuffer, maxSize); // validates
    }

    /**
     * Reads {@code troupe.replay}. Refused, each naming why: {@code role} (it once was a setting, and any other value
     * left the shards on a role no node has), a prioritized sampler or remover and {@code table.priority-exponent}
     * (nothing updates a shard's priorities, so they would pick uniformly).
     */
    public static ReplaySettings fromConfig(Config replay) {
        for (String key : new String[] {"table.sampler", "table.remover"}) {
            String name = replay.hasPath(key) ? replay.getString(key).toLowerCase(Locale.ROOT) : "";
            if (name.equals("prioritized")) {
                throw new IllegalArgumentException("troupe.replay." + key + " = prioritized: replay shards have no "
                        + "way to update priorities (every item keeps the priority 1 it was inserted with), so it "
                        + "would pick items uniformly; use uniform, fifo or lifo (prioritized tables are for code "
                        + "that calls Table.updatePriorities itself)");
            }
            if (!name.isEmpty() && !List.of("uniform", "fifo", "lifo").contains(name)) {
                throw new IllegalArgumentException("troupe.replay." + key + ": unknown selector '"
                        + replay.getString(key) + "'; expected uniform, fifo or lifo");
            }
        }
        if (replay.hasPath("table.priority-exponent")) {
            throw new IllegalArgumentException("troupe.replay.table.priority-exponent is not a setting: replay shards "
                    + "do not sample by priority; remove it from the config");
        }
        if (replay.hasPath("role")) {
            throw new IllegalArgumentException("troupe.replay.role is not a setting: replay shards run on the nodes of "
                    + "role " + ROLE + " (--roles; node roles are fixed); remove it from the config");
        }
        try {
            Config t = replay.getConfig("table");
            Config rl = t.getConfig("rate-limiter");
            Config d = replay.getConfig("durability");
            return new ReplaySettings(
                    replay.getInt("shards"),
                    ROLE,
                    // prioritized was refused above, so no priority exponent is needed
                    Selectors.parse(t.getString("sampler"), 1, "troupe.replay.table.sampler"),
                    Selectors.parse(t.getString("remover"), 1, "troupe.replay.table.remover"),
                    t.getInt("max-size"),
                    t.getInt("max-times-sampled"),
                    rl.getString("kind"),
                    rl.getLong("min-size-to-sample"),
                    rl.getDouble("samples-per-insert"),
                    rl.getDouble("error-buffer"),
                    replay.getDuration("sample-timeout"),
                    replay.getInt("max-message-bytes"),
                    replay.getDuration("keep-alive-interval"),
                    Durability.parse(d.getString("mode"), "troupe.replay.durability.mode"),
                    Path.of(d.getString("dir")),
                    d.getDuration("checkpoint-interval"),
                    d.getBytes("segment-bytes"),
                    d.getBytes("compact-after-bytes"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.replay: " + e.getMessage(), e);
        }
    }

    private static RateLimiter newRateLimiter(String kind, long minSize, double spi, double errorBuffer, int maxSize) {
        String key = "troupe.replay.table.rate-limiter";
        try {
            return switch (kind.toLowerCase(Locale.ROOT)) {
                case "min-size" -> RateLimiters.minSize(minSize);
                case "sample-to-insert-ratio" -> RateLimiters.sampleToInsertRatio(spi, minSize, errorBuffer);
                case "queue" -> RateLimiters.queue(maxSize);
                default -> throw new IllegalArgumentException("unknown kind '" + kind
                        + "'; expected min-size, sample-to-insert-ratio or queue");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    /** A new, empty table per these settings. */
    public Table newTable(String name) {
        Table table = Table.of(name, sampler, remover, maxSize,
                newRateLimiter(rateLimiterKind, minSizeToSample, samplesPerInsert, errorBuffer, maxSize));
        return maxTimesSampled > 0 ? table.withMaxTimesSampled(maxTimesSampled) : table;
    }

    /** The id of shard {@code i}: {@code replay-i}. */
    public static String shardId(int i) {
        return "replay-" + i;
    }
}
