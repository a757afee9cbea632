package io.troupe.environments;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigValue;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parameters an env is constructed with (the {@code params} block of its registration, merged with the user's
 * overrides). Every read names its default and its valid range, so a bad value gets an error naming the env, the key,
 * what was expected and where the value came from. The registry refuses keys the env never read (likely typos).
 */
public final class EnvParams {
    private final String id;
    private final Config config;
    private final Set<String> read = new TreeSet<>();

    public EnvParams(String id, Config config) {
        this.id = id;
        this.config = config == null ? ConfigFactory.empty() : config;
    }

    /** No parameters: every read returns its default. */
    public static EnvParams empty(String id) {
        return new EnvParams(id, ConfigFactory.empty());
    }

    /** The id the env is registered under (build the spec with it). */
    public String id() {
        return id;
    }

    /** An integer parameter in {@code [min, max]}, {@code defaultValue} if absent. */
    public int intParam(String key, int defaultValue, int min, int max) {
        read.add(key);
        if (!config.hasPath(key)) {
            return defaultValue;
        }
        int v;
        try {
            v = config.getInt(key);
        } catch (ConfigException.WrongType e) {
            throw bad(key, "an integer in " + min + ".." + max);
        }
        if (v < min || v > max) {
            throw bad(key, "an integer in " + min + ".." + max);
        }
        return v;
    }

    /** A floating-point parameter in {@code [min, max]}, {@code defaultValue} if absent. */
    public double doubleParam(String key, double defaultValue, double min, double max) {
        read.add(key);
        if (!config.hasPath(key)) {
            return defaultValue;
        }
        double v;
        try {
            v = config.getDouble(key);
        } catch (ConfigException.WrongType e) {
            throw bad(key, "a number in [" + min + ", " + max + "]");
        }
        if (!(v >= min && v <= max)) {
            throw bad(key, "a number in [" + min + ", " + max + "]");
        }
        return v;
    }

    /** A boolean parameter, {@code defaultValue} if absent. */
    public boolean booleanParam(String key, boolean defaultValue) {
        read.add(key);
        if (!config.hasPath(key)) {
            return defaultValue;
        }
        try {
            return config.getBoolean(key);
        } catch (ConfigException.WrongType e) {
            throw bad(key, "true or false");
        }
    }

    /** A string parameter, one of {@code allowed} when any are given, {@code defaultValue} if absent. */
    public String stringParam(String key, String defaultValue, String... allowed) {
        read.add(key);
        if (!config.hasPath(key)) {
            return defaultValue;
        }
        String v;
        try {
            v = config.getString(key);
        } catch (ConfigException.WrongType e) {
            throw bad(key, "a string");
        }
        if (allowed.length > 0 && !Set.of(allowed).contains(v)) {
            throw bad(key, "one of " + String.join(", ", allowed));
        }
        return v;
    }

    /**
     * A list of parameter blocks under {@code key} (such as {@code [{ size = 5 }, { size = 6 }]}), empty if absent;
     * each block's keys are the caller's to check.
     */
    public List<Config> blocks(String key) {
        read.add(key);
        if (!config.hasPath(key)) {
            return List.of();
        }
        try {
            return List.copyOf(config.getConfigList(key));
        } catch (ConfigException.WrongType e) {
            throw bad(key, "a list of parameter blocks, such as [{ size = 5 }, { size = 6 }]");
        }
    }

    /** The keys of the block under {@code key} (empty if absent), for the caller to check. */
    public Set<String> blockKeys(String key) {
        read.add(key);
        if (!config.hasPath(key)) {
            return Set.of();
        }
        try {
            return new TreeSet<>(config.getConfig(key).root().keySet());
        } catch (ConfigException.WrongType e) {
            throw bad(key, "a block of parameters { ... }");
        }
    }

    /**
     * A variant of these parameters: {@code overrides} on top, the block at {@code without} removed (a curriculum
     * stage: the level's own parameters with some changed, and no curriculum of its own).
     */
    public EnvParams variant(Config overrides, String without) {
        return new EnvParams(id, overrides.withFallback(config.withoutPath(without)));
    }

    /** Top-level keys present but never read by the env (a nested key read, {@code a.b}, counts for {@code a}). */
    public Set<String> unreadKeys() {
        Set<String> unread = new TreeSet<>(config.root().keySet());
        for (String key : read) {
            unread.remove(key.split("\\.", 2)[0]);
        }
        return unread;
    }

    /** Keys the env read so far. */
    public Set<String> readKeys() {
        return Set.copyOf(read);
    }

    private IllegalArgumentException bad(String key, String expected) {
        ConfigValue value = config.getValue(key);
        return new IllegalArgumentException("env " + id + ": parameter '" + key + "' must be " + expected + ", got "
                + value.render() + where(value.origin()));
    }

    /** Where a value was written, when it came from a file ({@code " (conf/x.conf line 12)"}); else nothing. */
    private static String where(ConfigOrigin origin) {
        if (origin.filename() == null) {
            return ""; // a key=value override or a value set in code: its origin ("String: 1") says nothing
        }
        return " (" + origin.filename() + (origin.lineNumber() > 0 ? " line " + origin.lineNumber() : "") + ")";
    }
}
