package io.troupe.environments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.example.envs.CounterEnv;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.Action;
import io.troupe.environments.cartpole.CartPole;
import io.troupe.environments.check.EnvChecker;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvRegistryTest {

    private static EnvRegistry registryWith(String hocon) {
        Config config = ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
        return EnvRegistry.fromConfig(config);
    }

    @Test
    void researcherRegistersAClassFromHoconWithParams() {
        EnvRegistry registry = registryWith("""
                troupe.environments.Counter-v0 {
                  class = "com.example.envs.CounterEnv"
                  max-episode-steps = 20
                  reward-threshold = 4
                  params { target = 5 }
                }
                """);
        assertTrue(registry.ids().contains("Counter-v0"));
        assertTrue(registry.ids().contains("CartPole-v1"), "built-ins stay registered");
        Env env = registry.make("Counter-v0");
        assertEquals(5, ((CounterEnv) ((EnvWrapper) env).unwrapped()).target());
        assertEquals(20, env.spec().maxEpisodeSteps().getAsInt());
        assertEquals(4.0, env.spec().rewardThreshold().getAsDouble());
        assertTrue(EnvChecker.check(registry, "Counter-v0").passed(), EnvChecker.check(registry, "Counter-v0").format());

        Env overridden = registry.make("Counter-v0", ConfigFactory.parseString("params.target = 2, max-episode-steps = 7"));
        assertEquals(2, ((CounterEnv) ((EnvWrapper) overridden).unwrapped()).target());
        assertEquals(7, overridden.spec().maxEpisodeSteps().getAsInt());
    }

    /**
     * The settings an env was made with, registration and overrides together, make the same env on a registry that
     * knows nothing of that registration's params (what an exported policy's contract carries).
     */
    @Test
    void settingsCarryTheRegistrationsParamsAndTheOverrides() {
        EnvRegistry registry = registryWith("""
                troupe.environments.Counter-v0 {
                  class = "com.example.envs.CounterEnv"
                  max-episode-steps = 20
                  params { target = 5 }
                }
                """);
        Config settings = registry.settings("Counter-v0", ConfigFactory.parseString("max-episode-steps = 7"));
        assertEquals(5, settings.getInt("params.target"));
        assertEquals(7, settings.getInt("max-episode-steps"));
        assertEquals(20, registry.settings("Counter-v0", ConfigFactory.empty()).getInt("max-episode-steps"));
        EnvRegistry plain = registryWith("""
                troupe.environments.Counter-v0 { class = "com.example.envs.CounterEnv", params { target = 1 } }
                """);
        Env env = plain.make("Counter-v0", settings);
        assertEquals(5, ((CounterEnv) ((EnvWrapper) env).unwrapped()).target());
        assertEquals(7, env.spec().maxEpisodeSteps().getAsInt());
    }

    @Test
    void timeLimitFromRegistrationTruncates() {
        EnvRegistry registry = registryWith("""
                troupe.environments.Counter-v0 { class = "com.example.envs.CounterEnv", max-episode-steps = 4, params.target = 100 }
                """);
        Env env = registry.make("Counter-v0");
        env.reset(0);
        for (int i = 1; i <= 4; i++) {
            var r = env.step(Action.discrete(0));
            assertEquals(i == 4, r.truncated());
            assertEquals(false, r.terminated());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> env.step(Action.discrete(0)));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void unknownIdListsKnownIdsAndOtherVersions() {
        EnvRegistry registry = EnvRegistry.defaults();
        UnknownEnvException e = assertThrows(UnknownEnvException.class, () -> registry.make("CartPole-v0"));
        assertTrue(e.getMessage().contains("'CartPole-v0'"), e.getMessage());
        assertTrue(e.getMessage().contains("registered versions: CartPole-v1"), e.getMessage());
        assertTrue(e.getMessage().contains("GoToObject-v0"), e.getMessage());
    }

    @Test
    void badRegistrationsGetMessagesNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> registryWith("troupe.environments.Nope-v0 { class = \"com.acme.Missing\" }"));
        assertTrue(e.getMessage().contains("troupe.environments.Nope-v0.class")
                && e.getMessage().contains("com.acme.Missing"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> registryWith("troupe.environments.Str-v0 { class = \"java.lang.String\" }"));
        assertTrue(e.getMessage().contains("does not implement"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> registryWith("troupe.environments.Counter-v0 { class = \"com.example.envs.CounterEnv\", "
                        + "max-steps = 3 }"));
        assertTrue(e.getMessage().contains("unknown key 'max-steps'"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> registryWith("troupe.environments.counter { class = \"com.example.envs.CounterEnv\" }"));
        assertTrue(e.getMessage().contains("Name-vN"), e.getMessage());

        EnvRegistry registry = registryWith("troupe.environments.Counter-v0 { class = \"com.example.envs.CounterEnv\", "
                + "params.target = lots }");
        e = assertThrows(IllegalArgumentException.class, () -> registry.make("Counter-v0"));
        assertTrue(e.getMessage().contains("'target'") && e.getMessage().contains("an integer in 1..1000")
                && e.getMessage().contains("lots"), e.getMessage());
    }

    @Test
    void duplicateRegistrationNamesBothSources() {
        EnvRegistry registry = EnvRegistry.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> registry.register("CartPole-v1", p -> new CartPole()));
        assertTrue(e.getMessage().contains("registered twice"), e.getMessage());
    }

    @Test
    void envsRegisteredFromCodeWork() {
        EnvRegistry registry = new EnvRegistry();
        registry.register("Counter-v3", CounterEnv::new);
        assertEquals("Counter-v3", registry.spec("Counter-v3").id());
        assertEquals(List.of("Counter-v3"), registry.ids());
    }

    @Test
    void serviceLoaderProvidersAreRegistered() {
        EnvRegistry registry = EnvRegistry.defaults();
        assertTrue(registry.ids().contains("example/Counter-v1"), registry.ids().toString());
        assertEquals("example/Counter-v1", registry.make("example/Counter-v1").spec().id());
    }
}
