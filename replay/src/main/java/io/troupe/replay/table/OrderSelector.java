package io.troupe.replay.table;

import java.util.random.RandomGenerator;

/** The oldest (Fifo) or newest (Lifo) item, on a doubly-linked list of slots in insertion order. */
final class OrderSelector implements Selector {
    private final boolean oldest;
    private final int[] prev;
    private final int[] next;
    private int head = -1;
    private int tail = -1;
    private int size;

    OrderSelector(int capacity, boolean oldest) {
        this.oldest = oldest;
        this.prev = new int[capacity];
        this.next = new int[capacity];
    }

    @Override
    public void insert(int slot, double priority) {
        prev[slot] = tail;
        next[slot] = -1;
        if (tail >= 0) {
            next[tail] = slot;
        } else {
            head = slot;
        }
        tail = slot;
        size++;
    }

    @Override
    public void update(int slot, double priority) {
    }

    @Override
    public void delete(int slot) {
        int p = prev[slot];
        int n = next[slot];
        if (p >= 0) {
            next[p] = n;
        } else {
            head = n;
        }
        if (n >= 0) {
            prev[n] = p;
        } else {
            tail = p;
        }
        size--;
    }

    @Override
    public int select(RandomGenerator rng) {
        return oldest ? head : tail;
    }

    @Override
    public double probability(int slot) {
        return 1.0;
    }

    @Override
    public int size() {
        return size;
    }
}
