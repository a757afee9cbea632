package io.troupe.core.reward;

import io.troupe.core.CrossNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every reward version of one env, oldest first, and the stack of activations (the last is the active version).
 * Immutable: {@link #submit} and {@link #rollback} return a new history. Version numbers only grow; a rollback
 * re-activates an old version without renumbering it, so experience tagged with a version always means the same
 * function.
 */
public record RewardHistory(String envId, List<RewardSpec> versions, List<Long> activations) implements CrossNode {
    public RewardHistory {
        versions = List.copyOf(versions);
        activations = List.copyOf(activations);
        if (versions.isEmpty() || versions.get(0).version() != 0) {
            throw new IllegalArgumentException("a reward history starts with version 0, the env's own reward");
        }
        if (activations.isEmpty()) {
            throw new IllegalArgumentException("a reward history needs an active version");
        }
        for (long a : activations) {
            if (versions.stream().noneMatch(v -> v.version() == a)) {
                throw new IllegalArgumentException("reward version " + a + " is not in the history of " + envId);
            }
        }
    }

    /** A history holding only version 0, active. */
    public static RewardHistory initial(String envId) {
        return new RewardHistory(envId, List.of(RewardSpec.envReward(envId)), List.of(0L));
    }

    /** The active version. */
    public long active() {
        return activations.get(activations.size() - 1);
    }

    public RewardSpec activeSpec() {
        return find(active()).orElseThrow();
    }

    public Optional<RewardSpec> find(long version) {
        return versions.stream().filter(v -> v.version() == version).findFirst();
    }

    public long latestVersion() {
        return versions.get(versions.size() - 1).version();
    }

    /** Appends {@code spec} as the next version and activates it; returns the new history. */
    public RewardHistory submit(String kind, String source, String author, long createdMillis, String note) {
        List<RewardSpec> next = new ArrayList<>(versions);
        RewardSpec spec = new RewardSpec(envId, latestVersion() + 1, kind, source, author, createdMillis, note);
        next.add(spec);
        List<Long> activated = new ArrayList<>(activations);
        activated.add(spec.version());
        return new RewardHistory(envId, next, activated);
    }

    /**
     * Re-activates {@code to}, or when empty the version that was active before the current one (activations are a
     * stack: rolling back twice goes back two activations); refuses an unknown version or rolling back past the start.
     */
    public RewardHistory rollback(Optional<Long> to) {
        List<Long> activated = new ArrayList<>(activations);
        if (to.isPresent()) {
            long target = to.get();
            if (find(target).isEmpty()) {
                throw new IllegalArgumentException(envId + " has no reward version " + target + "; versions are 0.."
                        + latestVersion());
            }
            activated.add(target);
        } else {
            if (activated.size() == 1) {
                throw new IllegalArgumentException(envId + ": reward version " + active() + " is the first activation; "
                        + "there is nothing to roll back to (name a version with --to)");
            }
            activated.remove(activated.size() - 1);
        }
        return new RewardHistory(envId, versions, activated);
    }
}
