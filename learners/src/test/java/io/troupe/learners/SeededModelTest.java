package io.troupe.learners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.troupe.core.EnvSpec;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.ModelKind;
import io.troupe.learners.model.PolicyModel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Building a model draws its parameters from the seed's own Java stream: the same seed gives the same parameters
 * whatever another thread does meanwhile, different seeds (also ones equal in their low 32 bits) give different ones,
 * and building never resets or consumes PyTorch's process-wide generator.
 */
class SeededModelTest {
    private static final List<ModelConfig> CONFIGS = List.of(ModelConfig.mlp(64, 64), ModelTest.SMALL_TRANSFORMER);

    private static float[] build(EnvSpec spec, ModelConfig config, long seed) {
        try (PolicyModel m = PolicyModel.create(spec, config, seed, Device.cpu())) {
            return m.flatParameters();
        }
    }

    @Test
    void theSameSeedGivesTheSameParametersWhateverAnotherThreadDoes() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            for (ModelConfig config : CONFIGS) {
                EnvSpec spec = config.kind() == ModelKind.MLP ? ModelTest.CARTPOLE : ModelTest.GRID;
                float[] first = build(spec, config, 11);
                other.submit(() -> {
                    Engine.getInstance().setRandomSeed(12345); // what every agent's model did to the learner's
                    build(spec, config, 99);
                }).get();
                float[] second = build(spec, config, 11);
                assertArrayEquals(first, second, config.describe() + ": same seed, same parameters");
                assertFalse(Arrays.equals(first, build(spec, config, 12)), config.describe() + ": another seed");
                assertFalse(Arrays.equals(first, build(spec, config, 11 + (1L << 32))),
                        config.describe() + ": a seed is 64 bits, not cut to its low 32");
            }
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void buildingAModelLeavesTheEnginesGeneratorAlone() {
        for (ModelConfig config : CONFIGS) {
            EnvSpec spec = config.kind() == ModelKind.MLP ? ModelTest.CARTPOLE : ModelTest.GRID;
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                Engine.getInstance().setRandomSeed(5);
                float[] expected = m.randomUniform(0f, 1f, new Shape(8)).toFloatArray();
                Engine.getInstance().setRandomSeed(5);
                build(spec, config, 77);
                float[] after = m.randomUniform(0f, 1f, new Shape(8)).toFloatArray();
                assertArrayEquals(expected, after, config.describe() + ": the build neither reseeded nor drew from "
                        + "PyTorch's generator");
            }
        }
    }

    @Test
    void transformerParametersFollowDjlsDefaultScales() {
        try (PolicyModel m = PolicyModel.create(ModelTest.GRID, ModelTest.SMALL_TRANSFORMER, 3, Device.cpu())) {
            for (var p : m.parameters()) {
                float[] v = p.getValue().getArray().toFloatArray();
                double max = 0;
                for (float f : v) {
                    assertTrue(Float.isFinite(f), p.getKey());
                    max = Math.max(max, Math.abs(f));
                }
                switch (p.getValue().getType()) {
                    case GAMMA -> assertTrue(Arrays.equals(v, ones(v.length)), p.getKey() + " starts at 1");
                    case BIAS, BETA -> assertTrue(max == 0, p.getKey() + " starts at 0");
                    default -> assertTrue(max > 0 && max < 2, p.getKey() + " drawn at a small scale: max " + max);
                }
            }
        }
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }
}
