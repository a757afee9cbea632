package io.troupe.core;

import java.util.Arrays;

/**
 * An action: a discrete index for {@code Discrete} action spaces, or a float vector for {@code Box} action spaces.
 * Use {@link #discrete(int)}: small indices are cached, so the stepping hot path allocates nothing.
 */
public sealed interface Action permits Action.Discrete, Action.Continuous {

    /** A discrete action. */
    record Discrete(int index) implements Action {
        @Override
        public String toString() {
            return "Discrete(" + index + ")";
        }
    }

    /** A continuous action; compares by content. The array is not copied. */
    record Continuous(float[] values) implements Action {
        public Continuous {
            if (values == null) {
                throw new IllegalArgumentException("continuous action values are null");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Continuous c && Arrays.equals(values, c.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Continuous" + Arrays.toString(values);
        }
    }

    /** The discrete action {@code index} (cached for 0..255). */
    static Discrete discrete(int index) {
        return index >= 0 && index < DiscreteCache.CACHE.length ? DiscreteCache.CACHE[index] : new Discrete(index);
    }

    /** A continuous action over {@code values} (not copied). */
    static Continuous continuous(float... values) {
        return new Continuous(values);
    }

    /** Holder of the cached discrete actions. */
    final class DiscreteCache {
        private static final Discrete[] CACHE = new Discrete[256];

        static {
            for (int i = 0; i < CACHE.length; i++) {
                CACHE[i] = new Discrete(i);
            }
        }

        private DiscreteCache() {
        }
    }
}
