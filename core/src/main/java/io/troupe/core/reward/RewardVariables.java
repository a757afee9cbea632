package io.troupe.core.reward;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The variables a reward function reads, and where each lives in a {@link RewardInput}'s slot array: the built-in
 * ones ({@code reward} is the env's own reward; {@code action} the discrete action index; {@code step} the step's
 * 1-based index in its episode; {@code terminated}, {@code truncated}, {@code done} and {@code success} are 1 or 0),
 * then the env's reward features after the step (for CartPole-v1 {@code x, x_dot, theta, theta_dot}), then the same
 * features before the step, prefixed {@code prev_}.
 */
public final class RewardVariables {
    public static final List<String> BUILT_IN = List.of("reward", "action", "step", "terminated", "truncated", "done",
            "success");
    public static final int REWARD = 0;
    public static final int ACTION = 1;
    public static final int STEP = 2;
    public static final int TERMINATED = 3;
    public static final int TRUNCATED = 4;
    public static final int DONE = 5;
    public static final int SUCCESS = 6;
    public static final String PREVIOUS = "prev_";

    private final List<String> features;
    private final List<String> names;
    private final Map<String, Integer> slots = new HashMap<>();

    public RewardVariables(List<String> features) {
        this.features = List.copyOf(features);
        List<String> all = new ArrayList<>(BUILT_IN);
        for (String f : this.features) {
            if (!f.matches("[a-z][a-z0-9_]*") || BUILT_IN.contains(f) || f.startsWith(PREVIOUS)) {
                throw new IllegalArgumentException("reward feature name '" + f + "' must be lower_snake_case, not "
                        + "start with " + PREVIOUS + " and not be one of " + BUILT_IN);
            }
            all.add(f);
        }
        for (String f : this.features) {
            all.add(PREVIOUS + f);
        }
        this.names = Collections.unmodifiableList(all);
        for (int i = 0; i < all.size(); i++) {
            if (slots.put(all.get(i), i) != null) {
                throw new IllegalArgumentException("reward feature '" + all.get(i) + "' is named twice");
            }
        }
    }

    /** The env's features, in slot order. */
    public List<String> features() {
        return features;
    }

    /** Every variable name, in slot order. */
    public List<String> names() {
        return names;
    }

    /** The slot of a variable, or -1 when there is none of that name. */
    public int slot(String name) {
        Integer s = slots.get(name);
        return s == null ? -1 : s;
    }

    /** Number of slots. */
    public int size() {
        return names.size();
    }

    /** Slot of the first feature after the step. */
    public int featureOffset() {
        return BUILT_IN.size();
    }

    /** Slot of the first feature before the step. */
    public int previousOffset() {
        return BUILT_IN.size() + features.size();
    }
}
