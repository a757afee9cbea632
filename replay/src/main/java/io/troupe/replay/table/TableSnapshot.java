package io.troupe.replay.table;

import io.troupe.core.CrossNode;
import io.troupe.core.experience.ReplayItem;
import java.util.List;

/**
 * A table's content and counters, items in insertion order: what a checkpoint writes and recovery reads.
 *
 * @param sequences the insertion sequence number of each item (its key without the slot)
 */
public record TableSnapshot(String name, List<ReplayItem> items, long[] sequences, double[] priorities,
                            int[] timesSampled, long inserts, long samples, long deletes, long nextSequence)
        implements CrossNode {
}
