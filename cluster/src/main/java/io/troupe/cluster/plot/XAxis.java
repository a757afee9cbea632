package io.troupe.cluster.plot;

import java.util.Arrays;

/** What a learning curve is plotted against. */
public enum XAxis {
    ENV_STEPS("env_steps", "env steps"),
    WALL_S("wall_s", "wall time (s)");

    private final String field;
    private final String title;

    XAxis(String field, String title) {
        this.field = field;
        this.title = title;
    }

    /** The metrics.jsonl field. */
    public String field() {
        return field;
    }

    public String title() {
        return title;
    }

    /** {@code env_steps} or {@code wall_s}; anything else is an IllegalArgumentException listing both. */
    public static XAxis of(String name) {
        return Arrays.stream(values()).filter(x -> x.field.equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("--x must be one of " + Arrays.stream(values()).map(XAxis::field)
                        .toList() + ", got '" + name + "'"));
    }
}
