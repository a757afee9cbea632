package io.troupe.environments;

import io.troupe.core.EnvSpec;

/** Presents another spec for an env (same spaces): used by the registry to apply a registered reward threshold. */
final class WithSpec extends EnvWrapper {
    private final EnvSpec spec;

    WithSpec(Env inner, EnvSpec spec) {
        super(inner);
        this.spec = spec;
    }

    @Override
    public EnvSpec spec() {
        return spec;
    }
}
