package io.troupe.export.onnx;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.LearnerCheckpoint;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.learners.optim.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Run directories as training leaves them ({@code config.conf}, {@code checkpoints/latest/}), without training. */
final class TestRuns {
    private TestRuns() {
    }

    /**
     * A run of {@code envId} whose {@code config.conf} holds {@code modelHocon} (the {@code troupe.model} block) and
     * whose checkpoint holds a model of that config drawn from {@code seed}, at policy version {@code version}.
     */
    static Path write(Path runDir, String envId, String modelHocon, long seed, long version) throws IOException {
        Files.createDirectories(runDir);
        String conf = "troupe.train.env = \"" + envId + "\"\ntroupe.model " + modelHocon + "\n";
        Files.writeString(runDir.resolve("config.conf"), conf);
        ModelConfig config = ModelConfig.fromConfig(ConfigFactory.parseString(conf)
                .withFallback(ConfigFactory.defaultReference()).resolve().getConfig("troupe.model"));
        try (Env env = EnvRegistry.defaults().make(envId);
             PolicyModel model = PolicyModel.create(env.spec(), config, seed, Device.cpu());
             Adam adam = Adam.withDefaults(model.parameters(), model.manager())) {
            LearnerCheckpoint.save(runDir.resolve("checkpoints"), model, adam,
                    new LearnerCheckpoint.Counters(10, 1000, version));
        }
        return runDir;
    }

    /** conf/gotoobject.conf's model. */
    static final String GOTO_MODEL = "{ kind = transformer, embedding = 32, heads = 4, layers = 1, feed-forward = 64, "
            + "patch-size = 6, state-tokens = 1 }";

    /** conf/cartpole.conf's model. */
    static final String CARTPOLE_MODEL = "{ kind = mlp, mlp-hidden = [64, 64] }";
}
