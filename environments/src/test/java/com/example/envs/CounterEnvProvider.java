package com.example.envs;

import io.troupe.environments.EnvProvider;
import io.troupe.environments.EnvRegistry;

/** Registers the test's CounterEnv through ServiceLoader (see META-INF/services in the test resources). */
public final class CounterEnvProvider implements EnvProvider {
    @Override
    public void register(EnvRegistry registry) {
        registry.register("example/Counter-v1", CounterEnv::new);
    }
}
