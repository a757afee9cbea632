package io.troupe.serving.drift;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.Policy;
import io.troupe.environments.EnvRegistry;
import io.troupe.serving.model.PolicySource;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A served policy's reference profile at deploy time: the {@value ReferenceProfile#FILE} exported beside the model
 * (or in the run directory) when there is one, else recorded now from greedy evaluation episodes in the policy's env
 * with default settings. Blocking: run it off Pekko's threads.
 */
public final class Profiles {
    /** The evaluation episodes' seed. */
    static final long SEED = 20_261_130L;

    private Profiles() {
    }

    public static ReferenceProfile forSource(PolicySource source, DriftSettings settings) {
        Path where = Path.of(source.location());
        Path dir = Files.isDirectory(where) ? where : where.toAbsolutePath().getParent();
        if (dir != null && Files.isRegularFile(dir.resolve(ReferenceProfile.FILE))) {
            return ReferenceProfile.read(dir.resolve(ReferenceProfile.FILE));
        }
        try (Policy policy = source.newReplica()) {
            return ReferenceRecorder.record(EnvRegistry.defaults(), source.spec().id(), ConfigFactory.empty(), policy,
                    settings.referenceEpisodes(), SEED);
        }
    }
}
