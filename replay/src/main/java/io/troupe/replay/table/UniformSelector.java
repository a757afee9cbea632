package io.troupe.replay.table;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/** Every item equally likely: a dense array of slots with O(1) swap-remove. */
final class UniformSelector implements Selector {
    private final int[] slots;
    private final int[] position;
    private int size;

    UniformSelector(int capacity) {
        slots = new int[capacity];
        position = new int[capacity];
        Arrays.fill(position, -1);
    }

    @Override
    public void insert(int slot, double priority) {
        position[slot] = size;
        slots[size++] = slot;
    }

    @Override
    public void update(int slot, double priority) {
    }

    @Override
    public void delete(int slot) {
        int p = position[slot];
        int last = slots[--size];
        slots[p] = last;
        position[last] = p;
        position[slot] = -1;
    }

    @Override
    public int select(RandomGenerator rng) {
        return slots[rng.nextInt(size)];
    }

    @Override
    public double probability(int slot) {
        return 1.0 / size;
    }

    @Override
    public int size() {
        return size;
    }
}
