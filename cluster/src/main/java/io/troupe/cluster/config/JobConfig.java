package io.troupe.cluster.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Loads the configuration a command runs with: {@code key=value} overrides, over the user's HOCON file, over every
 * module's {@code reference.conf}. Errors name the file, the line and the key.
 */
public final class JobConfig {
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
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("config file " + file + " does not exist");
            }
            try {
                base = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
            } catch (ConfigException e) {
                throw new IllegalArgumentException("config file " + file + " is malformed: " + e.getMessage(), e);
            }
        }
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
        }
        try {
            return options.withFallback(over).withFallback(base).withFallback(underJob)
                    .withFallback(ConfigFactory.defaultReference())
                    .resolve(ConfigResolveOptions.defaults());
        } catch (ConfigException e) {
            throw new IllegalArgumentException("config does not resolve: " + e.getMessage(), e);
        }
    }

    private static String quoteIfNeeded(String value) {
        try {
            ConfigFactory.parseString("v = " + value);
            return value;
        } catch (ConfigException e) {
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
