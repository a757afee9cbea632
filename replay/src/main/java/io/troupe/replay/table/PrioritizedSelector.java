package io.troupe.replay.table;

import java.util.random.RandomGenerator;

/**
 * Probability proportional to {@code priority^alpha}, on a {@link SumTree}. When every priority is zero it samples
 * uniformly, as Reverb does.
 */
final class PrioritizedSelector implements Selector {
    private final SumTree tree;
    private final double alpha;
    private final UniformSelector fallback;

    PrioritizedSelector(int capacity, double alpha) {
        this.tree = new SumTree(capacity);
        this.alpha = alpha;
        this.fallback = new UniformSelector(capacity);
    }

    private double weight(double priority) {
        return alpha == 1.0 ? priority : alpha == 0.0 ? 1.0 : Math.pow(priority, alpha);
    }

    @Override
    public void insert(int slot, double priority) {
        tree.set(slot, weight(priority));
        fallback.insert(slot, priority);
    }

    @Override
    public void update(int slot, double priority) {
        tree.set(slot, weight(priority));
    }

    @Override
    public void delete(int slot) {
        tree.set(slot, 0.0);
        fallback.delete(slot);
    }

    @Override
    public int select(RandomGenerator rng) {
        double total = tree.total();
        if (!(total > 0)) {
            return fallback.select(rng);
        }
        return tree.find(rng.nextDouble() * total);
    }

    @Override
    public double probability(int slot) {
        double total = tree.total();
        return total > 0 ? tree.get(slot) / total : 1.0 / fallback.size();
    }

    @Override
    public int size() {
        return fallback.size();
    }
}
