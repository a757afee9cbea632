package io.troupe.environments;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.troupe.core.EnvSpec;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Versioned env ids ({@code CartPole-v1}) mapped to factories with default parameters, as Gymnasium's registry.
 * Environments are registered from HOCON, with no code in Troupe:
 *
 * <pre>
 * troupe.environments {
 *   my-env-v0 {
 *     class = "com.acme.MyEnv"     # implements Env; constructor (EnvParams) or ()
 *     max-episode-steps = 200      # optional: wraps the env in TimeLimit
 *     reward-threshold = 180       # optional: mean return at which it counts as solved
 *     params { width = 8 }         # optional: read by the env through EnvParams
 *   }
 * }
 * </pre>
 *
 * or from code ({@link #register}), or from jars through {@link EnvProvider} and {@link ServiceLoader}. The built-in
 * envs are registered the first way, in this module's {@code reference.conf}.
 */
public final class EnvRegistry {

    /** One registered id. */
    public record Registration(String id, EnvFactory factory, OptionalInt maxEpisodeSteps,
                               OptionalDouble rewardThreshold, Config params, String source) {
        public Registration {
            EnvSpec.checkId(id);
            if (factory == null) {
                throw new IllegalArgumentException("env " + id + ": factory is null");
            }
            params = params == null ? ConfigFactory.empty() : params;
        }
    }

    private static final Set<String> ENTRY_KEYS = Set.of("class", "max-episode-steps", "reward-threshold", "params");

    private final Map<String, Registration> registrations = new TreeMap<>();

    /** An empty registry. */
    public EnvRegistry() {
    }

    /** The registry of {@code ConfigFactory.load()}: built-ins, the user's HOCON entries and service providers. */
    public static EnvRegistry defaults() {
        return fromConfig(ConfigFactory.load());
    }

    /** Registers every entry of {@code troupe.environments} in {@code config}, then every {@link EnvProvider}. */
    public static EnvRegistry fromConfig(Config config) {
        EnvRegistry registry = new EnvRegistry();
        if (config.hasPath("troupe.environments")) {
            ConfigObject envs = config.getObject("troupe.environments");
            for (Map.Entry<String, ConfigValue> e : envs.entrySet()) {
                registry.register(fromEntry(e.getKey(), e.getValue()));
            }
        }
        for (EnvProvider provider : ServiceLoader.load(EnvProvider.class)) {
            provider.register(registry);
        }
        return registry;
    }

    private static Registration fromEntry(String id, ConfigValue value) {
        String where = "troupe.environments." + id;
        if (value.valueType() != ConfigValueType.OBJECT) {
            throw new IllegalArgumentException(where + " must be an object { class = ..., params { ... } }, got "
                    + value.render() + " (" + value.origin().description() + ")");
        }
        Config entry = ((ConfigObject) value).toConfig();
        for (String key : entry.root().keySet()) {
            if (!ENTRY_KEYS.contains(key)) {
                throw new IllegalArgumentException(where + ": unknown key '" + key + "' (" + value.origin().description()
                        + "); expected " + String.join(", ", new TreeMap<>(Map.of("class", 0, "max-episode-steps", 0,
                        "reward-threshold", 0, "params", 0)).keySet()));
            }
        }
        try {
            if (!entry.hasPath("class")) {
                throw new IllegalArgumentException(where + ".class is missing (" + value.origin().description()
                        + "); expected the name of a class implementing io.troupe.environments.Env");
            }
            String className = entry.getString("class");
            OptionalInt maxSteps = OptionalInt.empty();
            if (entry.hasPath("max-episode-steps")) {
                int m = entry.getInt("max-episode-steps");
                if (m < 1) {
                    throw new IllegalArgumentException(where + ".max-episode-steps must be >= 1, got " + m);
                }
                maxSteps = OptionalInt.of(m);
            }
            OptionalDouble threshold = entry.hasPath("reward-threshold")
                    ? OptionalDouble.of(entry.getDouble("reward-threshold")) : OptionalDouble.empty();
            Config params = entry.hasPath("params") ? entry.getConfig("params") : ConfigFactory.empty();
            return new Registration(id, classFactory(where, className), maxSteps, threshold, params,
                    value.origin().description());
        } catch (ConfigException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /** A factory that instantiates {@code className} through its {@code (EnvParams)} or no-argument constructor. */
    public static EnvFactory classFactory(String where, String className) {
        Class<?> cls;
        try {
            cls = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException(where + ".class: class '" + className + "' is not on the classpath");
        }
        if (!Env.class.isAssignableFrom(cls)) {
            throw new IllegalArgumentException(where + ".class: " + className + " does not implement "
                    + Env.class.getName());
        }
        Constructor<?> withParams = null;
        Constructor<?> noArgs = null;
        for (Constructor<?> c : cls.getConstructors()) {
            if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == EnvParams.class) {
                withParams = c;
            } else if (c.getParameterCount() == 0) {
                noArgs = c;
            }
        }
        if (withParams == null && noArgs == null) {
            throw new IllegalArgumentException(where + ".class: " + className
                    + " needs a public constructor taking (EnvParams) or no arguments");
        }
        Constructor<?> ctor = withParams != null ? withParams : noArgs;
        boolean takesParams = withParams != null;
        return params -> {
            try {
                return (Env) (takesParams ? ctor.newInstance(params) : ctor.newInstance());
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException("env " + params.id() + ": constructing " + className + " failed: "
                        + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("env " + params.id() + ": cannot construct " + className + ": " + e, e);
            }
        };
    }

    /** Registers {@code id} with {@code factory} and no defaults. */
    public void register(String id, EnvFactory factory) {
        register(new Registration(id, factory, OptionalInt.empty(), OptionalDouble.empty(), ConfigFactory.empty(),
                "code"));
    }

    /** Registers an id; registering one twice is an error naming both sources. */
    public synchronized void register(Registration registration) {
        Registration old = registrations.get(registration.id());
        if (old != null) {
            throw new IllegalArgumentException("env id " + registration.id() + " is registered twice: by "
                    + old.source() + " and by " + registration.source());
        }
        registrations.put(registration.id(), registration);
    }

    /** Registered ids, sorted. */
    public synchronized List<String> ids() {
        return new ArrayList<>(registrations.keySet());
    }

    /** The registration of {@code id}; unknown ids get an error listing the known ones. */
    public synchronized Registration registration(String id) {
        Registration r = registrations.get(id);
        if (r == null) {
            throw new UnknownEnvException(id, registrations.keySet());
        }
        return r;
    }

    /** A new env {@code id} with its registered parameters. */
    public Env make(String id) {
        return make(id, ConfigFactory.empty());
    }

    /**
     * Everything {@code make(id, overrides)} takes from this registry and the overrides, as overrides of the same
     * form ({@code params} and, when set, {@code max-episode-steps}): {@code make(id, settings(id, overrides))} on any
     * registry that registers the same env class under {@code id} makes the same env, so an exported policy can carry
     * the settings it was trained with (a registration's {@code params}, e.g. GoToObject's {@code view = agent}).
     */
    public Config settings(String id, Config overrides) {
        Registration r = registration(id);
        Config params = params(r, overrides);
        Config settings = ConfigFactory.empty().withValue("params", params.root());
        if (overrides.hasPath("max-episode-steps")) {
            settings = settings.withValue("max-episode-steps", overrides.getValue("max-episode-steps"));
        } else if (r.maxEpisodeSteps().isPresent()) {
            settings = settings.withValue("max-episode-steps",
                    ConfigValueFactory.fromAnyRef(r.maxEpisodeSteps().getAsInt()));
        }
        return settings;
    }

    /** The registration's params with {@code overrides.params} on top. */
    private static Config params(Registration r, Config overrides) {
        return (overrides.hasPath("params") ? overrides.getConfig("params") : ConfigFactory.empty())
                .withFallback(r.params());
    }

    /**
     * A new env {@code id}; {@code overrides} may set {@code max-episode-steps} and keys of {@code params}, on top of
     * the registration.
     */
    public Env make(String id, Config overrides) {
        Registration r = registration(id);
        Config params = params(r, overrides);
        for (String key : overrides.root().keySet()) {
            if (!key.equals("params") && !key.equals("max-episode-steps")) {
                throw new IllegalArgumentException("env " + id + ": unknown override '" + key
                        + "'; expected max-episode-steps or params.<name>");
            }
        }
        EnvParams envParams = new EnvParams(id, params);
        Env env = r.factory().create(envParams);
        Set<String> unread = envParams.unreadKeys();
        if (!unread.isEmpty()) {
            env.close();
            throw new IllegalArgumentException("env " + id + ": unknown parameter(s) " + unread + "; "
                    + (envParams.readKeys().isEmpty() ? "it takes no parameters"
                    : "its parameters are " + new TreeSet<>(envParams.readKeys())));
        }
        if (!env.spec().id().equals(id)) {
            env.close();
            throw new IllegalStateException("env registered as " + id + " reports spec id " + env.spec().id()
                    + "; build the spec with EnvParams.id()");
        }
        if (r.rewardThreshold().isPresent()) {
            env = new WithSpec(env, env.spec().withRewardThreshold(r.rewardThreshold().getAsDouble()));
        }
        OptionalInt maxSteps = r.maxEpisodeSteps();
        if (overrides.hasPath("max-episode-steps")) {
            int m;
            try {
                m = overrides.getInt("max-episode-steps");
            } catch (ConfigException.WrongType e) {
                throw new IllegalArgumentException("env " + id + ": max-episode-steps must be an integer >= 1, got "
                        + overrides.getValue("max-episode-steps").render());
            }
            maxSteps = OptionalInt.of(m);
        } else if (maxSteps.isEmpty()) {
            maxSteps = env.spec().maxEpisodeSteps();
        }
        if (maxSteps.isPresent()) {
            env = new TimeLimit(env, maxSteps.getAsInt());
        }
        return env;
    }

    /** The spec {@code make(id)} produces. */
    public EnvSpec spec(String id) {
        try (Env env = make(id)) {
            return env.spec();
        }
    }
}
