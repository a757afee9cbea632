package io.troupe.serving.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.troupe.core.EnvSpec;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.serving.batch.BatcherSettings;
import io.troupe.serving.batch.Inference;
import io.troupe.serving.metrics.ServingMetrics;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code backend = onnx}: a DJL model served through ONNX Runtime on an in-memory export answers as DJL does, and
 * still follows new weights (exported again on load).
 */
class BackendTest {
    private static final EnvRegistry ENVS = EnvRegistry.defaults();
    private static final EnvSpec GOTO = ENVS.spec("GoToObject-v0");
    private static final ModelConfig TRANSFORMER = ModelConfig.transformer(16, 2, 1, 32, 6, 1);

    /** Four real GoToObject observations (image, mission, state) in one batch. */
    private static ObservationBatch observations() {
        return observations(4, 10);
    }

    /** {@code rows} real GoToObject observations, from resets seeded {@code seed}, {@code seed + 1}, ... */
    private static ObservationBatch observations(int rows, int seed) {
        ObservationBatch batch = ObservationBatch.forSpace(GOTO.observationSpace(), rows);
        try (Env env = ENVS.make(GOTO.id())) {
            for (int i = 0; i < rows; i++) {
                batch.write(i, env.reset(seed + i));
            }
        }
        return batch;
    }

    private static void assertClose(Policy.Evaluation expected, Policy.Evaluation actual) {
        assertEquals(expected.logits().length, actual.logits().length);
        for (int i = 0; i < expected.logits().length; i++) {
            assertEquals(expected.logits()[i], actual.logits()[i], 1e-4, "logit " + i);
        }
        for (int i = 0; i < expected.values().length; i++) {
            assertEquals(expected.values()[i], actual.values()[i], 1e-4, "value " + i);
        }
    }

    @Test
    void theOnnxReplicaAnswersAsTheDjlModelAndFollowsNewWeights() {
        ObservationBatch batch = observations();
        ModelSource djl = new ModelSource(GOTO, TRANSFORMER, 3);
        PolicySource onnx = Backend.ONNX.apply(djl);
        assertEquals("onnx", onnx.backend());
        assertEquals(djl.modelId(), onnx.modelId());
        try (Policy reference = djl.newReplica(); Policy served = onnx.newReplica();
             PolicyModel newer = PolicyModel.create(GOTO, TRANSFORMER, 99, Device.cpu())) {
            assertTrue(served instanceof OnnxReplica);
            assertClose(reference.evaluate(batch), served.evaluate(batch));
            // the replica stages inputs in buffers it keeps: batches larger, smaller, then as large again
            for (ObservationBatch other : List.of(observations(9, 30), observations(1, 50), observations(4, 60))) {
                assertClose(reference.evaluate(other), served.evaluate(other));
            }
            Policy.Evaluation before = served.evaluate(batch);
            PolicyWeights v5 = newer.weights(5);
            served.load(v5);
            Policy.Evaluation after = served.evaluate(batch);
            assertClose(newer.evaluate(batch), after);
            assertTrue(!Arrays.equals(before.logits(), after.logits()), "the new weights are served");
        }
    }

    @Test
    void aServedPolicyOnOnnxAnswersWithTheVersionItFollows() throws Exception {
        ModelSource djl = new ModelSource(GOTO, TRANSFORMER, 3, -1);
        try (ServedPolicy p = ServedPolicy.start("goto", Backend.ONNX.apply(djl),
                new BatcherSettings(64, 8, Duration.ZERO, 1, Duration.ofMinutes(1)), new ServingMetrics());
             PolicyModel newer = PolicyModel.create(GOTO, TRANSFORMER, 99, Device.cpu());
             Env env = ENVS.make(GOTO.id())) {
            assertEquals("onnx", p.info().backend());
            assertEquals(ServedPolicy.Offer.SERVED, p.offer(newer.weights(4)));
            var observation = env.reset(1);
            Inference r = p.submit(List.of(observation)).get(60, TimeUnit.SECONDS);
            assertEquals(4, r.version());
            ObservationBatch one = ObservationBatch.forSpace(GOTO.observationSpace(), 1);
            one.write(0, observation);
            Policy.Evaluation expected = newer.evaluate(one);
            for (int i = 0; i < expected.logits().length; i++) {
                assertEquals(expected.logits()[i], r.logits()[i], 1e-4, "logit " + i);
            }
        }
    }

    @Test
    void theBackendSettingIsParsedAndOnlyDjlSourcesAreExported() {
        assertSame(Backend.ONNX, Backend.parse(" ONNX ", "troupe.serving.backend"));
        assertSame(Backend.DJL, Backend.parse("djl", "troupe.serving.backend"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backend.parse("tensorrt", "troupe.serving.backend"));
        assertEquals("troupe.serving.backend must be djl or onnx, got 'tensorrt'", e.getMessage());
        ModelSource djl = new ModelSource(GOTO, TRANSFORMER, 3);
        assertSame(djl, Backend.DJL.apply(djl));
    }
}
