package io.troupe.serving.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** The policies a server answers for, by name. Thread-safe. */
public final class PolicyRegistry implements AutoCloseable {
    private final ConcurrentSkipListMap<String, ServedPolicy> policies = new ConcurrentSkipListMap<>();

    /** Adds {@code policy}; a name already served is an error naming it. */
    public void add(ServedPolicy policy) {
        if (policies.putIfAbsent(policy.name(), policy) != null) {
            throw new IllegalArgumentException("a policy named '" + policy.name() + "' is served already; unload it "
                    + "first or choose another name");
        }
    }

    public Optional<ServedPolicy> find(String name) {
        return Optional.ofNullable(policies.get(name));
    }

    /** The policy called {@code name}; an unknown name is an {@link UnknownPolicyException} listing the known. */
    public ServedPolicy get(String name) {
        ServedPolicy p = policies.get(name);
        if (p == null) {
            throw new UnknownPolicyException(name, names());
        }
        return p;
    }

    /** Removes and closes the policy called {@code name}. */
    public void remove(String name) {
        detach(name).close();
    }

    /** Removes the policy called {@code name} without closing it (the caller closes it, off Pekko's threads). */
    public ServedPolicy detach(String name) {
        ServedPolicy p = policies.remove(name);
        if (p == null) {
            throw new UnknownPolicyException(name, names());
        }
        return p;
    }

    public List<String> names() {
        return List.copyOf(policies.keySet());
    }

    public Map<String, ServedPolicy> all() {
        return Map.copyOf(policies);
    }

    public boolean isEmpty() {
        return policies.isEmpty();
    }

    @Override
    public void close() {
        for (String n : names()) {
            ServedPolicy p = policies.remove(n);
            if (p != null) {
                p.close();
            }
        }
    }
}
