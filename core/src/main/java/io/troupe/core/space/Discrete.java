package io.troupe.core.space;

import io.troupe.core.Action;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** The integers {@code 0..n-1}. Contains {@link Integer} values and {@link Action.Discrete} actions. */
public record Discrete(int n) implements Space {
    public Discrete {
        if (n < 1) {
            throw new IllegalArgumentException("Discrete space needs n >= 1, got " + n);
        }
    }

    @Override
    public Optional<String> violation(Object value) {
        int index;
        if (value instanceof Action.Discrete d) {
            index = d.index();
        } else if (value instanceof Integer i) {
            index = i;
        } else {
            return Optional.of("value " + value + " is not in " + describe() + ": expected a discrete index");
        }
        if (index < 0 || index >= n) {
            return Optional.of("value " + value + " is not in " + describe() + ": expected an index in 0.." + (n - 1));
        }
        return Optional.empty();
    }

    /** Whether {@code index} is in {@code 0..n-1}. */
    public boolean contains(int index) {
        return index >= 0 && index < n;
    }

    @Override
    public Integer sample(RandomGenerator rng) {
        return rng.nextInt(n);
    }

    @Override
    public String describe() {
        return "Discrete(" + n + ")";
    }
}
