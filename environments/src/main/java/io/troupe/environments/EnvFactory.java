package io.troupe.environments;

/** Makes a new env from its parameters. Environments whose constructor takes {@link EnvParams} fit: {@code MyEnv::new}. */
@FunctionalInterface
public interface EnvFactory {
    Env create(EnvParams params);
}
