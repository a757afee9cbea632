package io.troupe.environments;

/**
 * Registers environments from a jar, found with {@link java.util.ServiceLoader}: list the implementation in
 * {@code META-INF/services/io.troupe.environments.EnvProvider}. The alternative needs no code: a
 * {@code troupe.environments.<id> { class = ... }} block in HOCON.
 */
public interface EnvProvider {
    void register(EnvRegistry registry);
}
