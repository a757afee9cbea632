package io.troupe.replay.table;

import io.troupe.core.CrossNode;
import io.troupe.core.experience.ReplayItem;

/**
 * A sampled item with what a learner needs for importance weights and priority updates.
 *
 * @param key          the item's key, for priority updates
 * @param probability  probability with which it was selected
 * @param tableSize    items in the table when it was selected
 * @param priority     its priority then
 * @param timesSampled how often it has been sampled, this time included
 */
public record SampledItem(ReplayItem item, long key, double probability, long tableSize, double priority,
                          int timesSampled) implements CrossNode {
}
