package io.troupe.replay.durable;

import io.troupe.core.CrossNode;
import io.troupe.core.experience.ExperienceBatch;

/** What the write-ahead log holds: inserted batches (with the keys they got) and removed keys. */
public sealed interface WalRecord extends CrossNode {

    /** A batch stored under {@code keys}, delivered as {@code seqNr} by {@code producerId}. */
    record Insert(String producerId, long seqNr, long[] keys, ExperienceBatch batch) implements WalRecord {
    }

    /** Items that left the table (sampled out, evicted, deleted). */
    record Remove(long[] keys) implements WalRecord {
    }
}
