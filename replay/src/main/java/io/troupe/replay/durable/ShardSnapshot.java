package io.troupe.replay.durable;

import io.troupe.core.CrossNode;
import io.troupe.replay.table.TableSnapshot;
import java.util.List;

/**
 * A shard's state at a point of its log: the table (items in insertion order, with the keys they had), and the
 * highest sequence number stored per producer (for deduplication).
 */
public record ShardSnapshot(TableSnapshot table, long[] keys, List<String> producers, long[] lastSeqNrs)
        implements CrossNode {
}
