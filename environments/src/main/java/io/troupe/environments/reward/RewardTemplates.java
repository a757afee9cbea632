package io.troupe.environments.reward;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Built-in reward expressions per env, documented as starting points for reward designers. */
public final class RewardTemplates {
    /** A named expression and what it does. */
    public record Template(String name, String expr, String description) {
    }

    private static final Map<String, List<Template>> TEMPLATES = new LinkedHashMap<>();

    static {
        TEMPLATES.put("CartPole-v1", List.of(
                new Template("default", "reward", "the env's own reward: +1 per step the pole stays up"),
                new Template("upright", "1 - abs(theta) / 0.21",
                        "1 when the pole is vertical, falling to 0 at the 0.21 rad (12 degree) failure angle"),
                new Template("centered", "reward - 0.5 * abs(x) / 2.4 - (terminated ? 10 : 0)",
                        "stay near the centre of the track; a fall costs 10")));
        TEMPLATES.put("GoToObject-v0", List.of(
                new Template("sparse", "reward", "the env's own reward: 1 - 0.9 * t / max_steps on reaching the target"),
                new Template("distance", "reward + 0.1 * (prev_distance - distance)",
                        "adds 0.1 for every step that brings the agent closer to the target, -0.1 for every step "
                                + "away"),
                new Template("time-penalty", "success ? 1 : -0.01", "1 on success, -0.01 per step otherwise")));
        for (String id : List.of("GoToObject-Hard-v0", "GoToObject-Seq-v0")) {
            TEMPLATES.put(id, List.of(
                    new Template("sparse", "reward", "the env's own reward: 1 - 0.9 * t / max_steps on reaching the "
                            + "last goal, 0 on touching another object"),
                    new Template("distance", "reward + 0.1 * (reached - prev_reached == 0 ? prev_distance - distance : 0)",
                            "adds 0.1 for every step that brings the agent closer to the current goal, -0.1 for every "
                                    + "step away (not on the step that reaches a goal and moves the target)")));
        }
    }

    private RewardTemplates() {
    }

    /** The templates of {@code envId} (empty for envs without any). */
    public static List<Template> forEnv(String envId) {
        return TEMPLATES.getOrDefault(envId, List.of());
    }

    public static Map<String, List<Template>> all() {
        return TEMPLATES;
    }
}
