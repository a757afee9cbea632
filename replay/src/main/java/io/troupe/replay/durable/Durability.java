package io.troupe.replay.durable;

import java.util.Locale;

/** How a replay shard keeps its data across crashes. */
public enum Durability {
    /** In memory only: a crash loses the shard's content. */
    NONE,
    /** Periodic snapshots of the table: a crash loses what arrived since the last snapshot. */
    CHECKPOINT,
    /**
     * Every stored batch is appended to a segmented write-ahead log and synced (group fsync) before it is confirmed;
     * the log is compacted against snapshots. A crash loses nothing that was confirmed.
     */
    WAL;

    public static Durability parse(String value, String key) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": unknown durability mode '" + value
                    + "'; expected none, checkpoint or wal");
        }
    }
}
