package io.troupe.cluster.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.export.RunCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Loads the configuration a command runs with: {@code key=value} overrides, over the user's HOCON file, over every
 * module's {@code reference.conf}. Errors name the file, the line and the key.
 */
public final class JobConfig {
    /** Env registrations and their parameters: the env registry checks them, in the env's own words. */
    private static final String ENVIRONMENTS = "troupe.environments.";

    private JobConfig() {
    }

    /** The resolved config of {@code file} (may be null: defaults only) with {@code overrides} on top. */
    public static Config load(Path file, List<String> overrides) {
        return load(file, overrides, ConfigFactory.empty());
    }

    /** As {@link #load(Path, List)}, with {@code underJob} between the job file and the modules' defaults. */
    public static Config load(Path file, List<String> overrides, Config underJob) {
        return load(file, overrides, ConfigFactory.empty(), underJob);
    }

    /**
     * As {@link #load(Path, List, Config)}, with {@code options} (values a command's options set, such as a run
     * directory: values, never HOCON text, so any path works) on top of everything.
     */
    public static Config load(Path file, List<String> overrides, Config options, Config underJob) {
        Config base = ConfigFactory.empty();
        if (file != null) {
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("config file " + file + " is a directory; expected a HOCON file");
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("config file " + file + " does not exist");
            }
            try {
                base = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new IllegalArgumentException("config file " + file + " is malformed: " + e.getMessage(), e);
            }
        }
        Config known = base.withFallback(underJob).withFallback(ConfigFactory.defaultReference());
        Config over = ConfigFactory.empty();
        for (String kv : overrides) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("override '" + kv + "' is not key=value (for example "
                        + "troupe.train.seed=3)");
            }
            String key = kv.substring(0, eq).trim();
            String value = kv.substring(eq + 1).trim();
            try {
                Config one = ConfigFactory.parseString(key + " = " + quoteIfNeeded(value));
                if (one.hasPath(key)) { // errors about the value name it as given, not as "String: 1"
                    one = one.withValue(key, one.getValue(key).withOrigin(ConfigOriginFactory.newSimple(
                            "the override " + key + "=" + value)));
                }
                over = one.withFallback(over);
            } catch (ConfigException e) {
                throw new IllegalArgumentException("override '" + kv + "' is malformed: " + e.getMessage(), e);
            }
            checkKnown(key, kv, known);
        }
        try {
            return options.withFallback(over).withFallback(known).resolve(ConfigResolveOptions.defaults());
        } catch (ConfigException e) {
            throw new IllegalArgumentException("config does not resolve: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses an override of a key that no module's {@code reference.conf} nor the job's file has, naming the closest
     * key that exists: a misspelt key would otherwise be ignored and the job run with the default. A key under a
     * section that is an empty object in the defaults (a free-form map, such as {@code troupe.train.env-overrides}) is
     * taken as it is, and so is one under {@code troupe.environments}: env registrations and their parameters, which
     * the env registry checks with the env's own words.
     */
    private static void checkKnown(String key, String override, Config known) {
        List<String> path;
        try {
            path = ConfigUtil.splitPath(key);
            if (known.hasPathOrNull(key) || key.startsWith(ENVIRONMENTS)
                    || RunCheckpoint.WRITTEN_BY_OLDER_RUNS.contains(key)) { // refused by their settings, saying why
                return;
            }
        } catch (ConfigException e) {
            return; // a malformed key, or one through a substitution: the load itself says what is wrong
        }
        int depth = path.size() - 1;
        while (depth > 0 && !known.hasPathOrNull(ConfigUtil.joinPath(path.subList(0, depth)))) {
            depth--;
        }
        ConfigObject section = known.root();
        if (depth > 0) {
            ConfigValue parent = known.getValue(ConfigUtil.joinPath(path.subList(0, depth)));
            if (!(parent instanceof ConfigObject object)) {
                throw new IllegalArgumentException("override '" + override + "': "
                        + ConfigUtil.joinPath(path.subList(0, depth)) + " is a setting, not a section with "
                        + path.get(depth) + " in it");
            }
            if (object.isEmpty()) {
                return; // a free-form map
            }
            section = object;
        }
        String missing = path.get(depth);
        String closest = depth == 0 ? null : section.keySet().stream().min(Comparator.comparingInt(k -> editDistance(k,
                missing))).orElse(null); // no guess at the top, where the JVM's system properties are keys too
        String prefix = depth > 0 ? ConfigUtil.joinPath(path.subList(0, depth)) + "." : "";
        throw new IllegalArgumentException("override '" + override + "': " + key + " is not a setting"
                + (closest != null && editDistance(closest, missing) <= Math.max(2, missing.length() / 3)
                ? " (did you mean " + prefix + closest + "?)" : "") + "; every key is documented in the "
                + "reference.conf of its module");
    }

    /** Levenshtein's distance between {@code a} and {@code b}: the edits that turn one into the other. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /**
     * {@code value} as HOCON: itself when it parses, else quoted as a string (a path, a word with a colon); but an
     * object or a list that does not parse is an error, not a string (an unbalanced {@code {seed=3}).
     */
    private static String quoteIfNeeded(String value) {
        try {
            ConfigFactory.parseString("v = " + value);
            return value;
        } catch (ConfigException e) {
            if (value.startsWith("{") || value.startsWith("[")) {
                throw e; // the caller names the override
            }
            return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
    }

    /**
     * The {@code troupe} subtree as HOCON, with origin comments off and secrets redacted: what {@code config.conf} of a
     * run holds.
     */
    public static String renderTroupe(Config config) {
        return redacted(config.getConfig("troupe")).atKey("troupe").root()
                .render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }

    /** What replaces a secret's value wherever a config is written or shown. */
    public static final String REDACTED = "<redacted>";
    /** A key named {@code token}, {@code password}, ... or ending in {@code -token}, {@code -password}, .... */
    private static final Pattern SECRET = Pattern.compile("(?i)(.*[-_])?(token|password|secret|passphrase)");

    /**
     * {@code config} with the string value of every key whose last part names a secret ({@code token},
     * {@code key-store-password}, {@code key-password}, anything named or ending in {@code -token}, {@code -password},
     * {@code -secret}, {@code -passphrase}) replaced by {@link #REDACTED}; empty values stay empty, so a reader can
     * tell "not set" from "set". ({@code state-tokens}, a number, is no secret.)
     */
    public static Config redacted(Config config) {
        Config out = config;
        for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
            List<String> path = ConfigUtil.splitPath(e.getKey());
            boolean secret = SECRET.matcher(path.get(path.size() - 1)).matches();
            Object value = e.getValue().unwrapped();
            if (secret && value instanceof String str && !str.isEmpty()) {
                out = out.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(REDACTED));
            }
        }
        return out;
    }
}
