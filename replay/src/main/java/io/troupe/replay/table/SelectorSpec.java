package io.troupe.replay.table;

/** What kind of selector, before it has a table: Uniform, Prioritized(alpha), Fifo or Lifo. See {@link Selectors}. */
public sealed interface SelectorSpec {
    Selector create(int capacity);

    String describe();

    /** Every item equally likely. */
    record Uniform() implements SelectorSpec {
        @Override
        public Selector create(int capacity) {
            return new UniformSelector(capacity);
        }

        @Override
        public String describe() {
            return "Uniform";
        }
    }

    /** Probability proportional to priority^alpha (sum-tree); all-zero priorities fall back to uniform. */
    record Prioritized(double alpha) implements SelectorSpec {
        public Prioritized {
            if (!(alpha >= 0 && alpha <= 1e3)) {
                throw new IllegalArgumentException("prioritized selector needs a finite alpha >= 0, got " + alpha);
            }
        }

        @Override
        public Selector create(int capacity) {
            return new PrioritizedSelector(capacity, alpha);
        }

        @Override
        public String describe() {
            return "Prioritized(alpha=" + alpha + ")";
        }
    }

    /** The oldest item. */
    record Fifo() implements SelectorSpec {
        @Override
        public Selector create(int capacity) {
            return new OrderSelector(capacity, true);
        }

        @Override
        public String describe() {
            return "Fifo";
        }
    }

    /** The newest item. */
    record Lifo() implements SelectorSpec {
        @Override
        public Selector create(int capacity) {
            return new OrderSelector(capacity, false);
        }

        @Override
        public String describe() {
            return "Lifo";
        }
    }
}
