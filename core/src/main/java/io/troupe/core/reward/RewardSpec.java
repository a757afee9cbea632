package io.troupe.core.reward;

import io.troupe.core.CrossNode;
import java.util.Locale;

/**
 * One version of an env's reward function as the registry keeps it: what it is ({@code kind} {@code env} for the
 * env's own reward, {@code expr} for an expression, {@code class} for a Java class on the class path), its source (the
 * expression text or the class name), who submitted it, when, and why. Version 0 is always the env's own reward.
 */
public record RewardSpec(String envId, long version, String kind, String source, String author, long createdMillis,
                         String note) implements CrossNode {
    public static final String ENV = "env";
    public static final String EXPR = "expr";
    public static final String CLASS = "class";

    public RewardSpec {
        kind = kind.toLowerCase(Locale.ROOT);
        if (!kind.equals(ENV) && !kind.equals(EXPR) && !kind.equals(CLASS)) {
            throw new IllegalArgumentException("reward kind '" + kind + "' is not env, expr or class");
        }
        source = source == null ? "" : source;
        author = author == null ? "" : author;
        note = note == null ? "" : note;
        if (version < 0) {
            throw new IllegalArgumentException("reward version must be >= 0, got " + version);
        }
    }

    /** Version 0: the env's own reward. */
    public static RewardSpec envReward(String envId) {
        return new RewardSpec(envId, 0, ENV, "", "troupe", 0, "the env's own reward");
    }

    /** One line for listings: {@code v3 expr "1 - abs(theta) / 0.21" by ann: shaped}. */
    public String describe() {
        String what = kind.equals(ENV) ? "the env's own reward" : kind + " " + (kind.equals(EXPR) ? "\"" + source
                + "\"" : source);
        return "v" + version + " " + what + (author.isEmpty() ? "" : " by " + author) + (note.isEmpty() ? ""
                : ": " + note);
    }
}
