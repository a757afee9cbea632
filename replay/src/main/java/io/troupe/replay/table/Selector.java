package io.troupe.replay.table;

import java.util.random.RandomGenerator;

/**
 * Chooses an item of a table, as a sampler or as a remover (Reverb's {@code ItemSelector}). Items are identified by
 * their slot in the table. Single-threaded, owned by one table.
 */
public interface Selector {
    void insert(int slot, double priority);

    void update(int slot, double priority);

    void delete(int slot);

    /** A slot chosen from the items present; the table is not empty. */
    int select(RandomGenerator rng);

    /** Probability with which {@link #select} picks {@code slot} now. */
    double probability(int slot);

    int size();
}
