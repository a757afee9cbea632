package io.troupe.replay.durable;

import io.troupe.core.CrossNode;
import io.troupe.core.experience.ReplayItem;
import java.util.List;

/**
 * A snapshot file is a sequence of records: one {@link Header}, then {@link Chunk}s of items in insertion order, then
 * an {@link End} that confirms the item count. Each record stays small, so a table of any size streams to disk.
 */
public sealed interface ShardSnapshot extends CrossNode {

    /** Table counters and the highest stored sequence number per producer (for deduplication). */
    record Header(String table, long inserts, long samples, long deletes, long nextSequence, long items,
                  List<String> producers, long[] lastSeqNrs) implements ShardSnapshot {
    }

    /** Items with the keys they had, their sequences, priorities and sample counts. */
    record Chunk(List<ReplayItem> items, long[] keys, long[] sequences, double[] priorities, int[] timesSampled)
            implements ShardSnapshot {
    }

    /** The end of a complete snapshot. */
    record End(long items) implements ShardSnapshot {
    }
}
