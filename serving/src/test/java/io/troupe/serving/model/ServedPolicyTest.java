package io.troupe.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.troupe.core.EnvSpec;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.PolicyWeights;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import io.troupe.serving.batch.BatcherSettings;
import io.troupe.serving.batch.Inference;
import io.troupe.serving.metrics.ServingMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A following policy serves a new version only after the quick check; pinning holds newer ones back. */
class ServedPolicyTest {
    private static final EnvSpec CARTPOLE = EnvRegistry.defaults().spec("CartPole-v1");
    private static final ModelConfig MLP = ModelConfig.mlp(16);
    private static final BatcherSettings BATCHING = new BatcherSettings(64, 8, Duration.ZERO, 1, Duration.ofMinutes(1));

    private static PolicyWeights weights(long seed, long version, boolean nan) {
        try (PolicyModel m = PolicyModel.create(CARTPOLE, MLP, seed, Device.cpu())) {
            if (nan) {
                for (Pair<String, Parameter> p : m.parameters()) {
                    p.getValue().getArray().muli(Float.NaN);
                }
            }
            return m.weights(version);
        }
    }

    private static Inference act(ServedPolicy p) throws Exception {
        return p.submit(List.of(Observation.of(FloatTensor.of(0.01f, 0.02f, 0.03f, 0.04f))))
                .get(30, TimeUnit.SECONDS);
    }

    @Test
    void aVersionWithNonFiniteOutputsIsNotServedAndIsReported() throws Exception {
        ServingMetrics metrics = new ServingMetrics();
        try (ServedPolicy p = ServedPolicy.start("cartpole", new ModelSource(CARTPOLE, MLP, 1, -1), BATCHING,
                metrics)) {
            assertEquals(ServedPolicy.Offer.SERVED, p.offer(weights(2, 3, false)));
            assertEquals(3, act(p).version());
            assertEquals(ServedPolicy.Offer.REJECTED, p.offer(weights(2, 4, true)));
            assertEquals(3, act(p).version(), "the refused version is not served");
            PolicyInfo info = p.info();
            assertEquals(3, info.policyVersion());
            assertEquals(4, info.rejectedVersions().get(0).version());
            assertTrue(info.rejectedVersions().get(0).reason().contains("non-finite"), info.toString());
            assertTrue(metrics.render(Map.of("cartpole", p)).contains(
                    "troupe_serving_versions_failed_check_total{policy=\"cartpole\"} 1"));
            // weights of another architecture (other spaces or sizes) are refused too
            try (PolicyModel other = PolicyModel.create(CARTPOLE, ModelConfig.mlp(8), 1, Device.cpu())) {
                assertEquals(ServedPolicy.Offer.REJECTED, p.offer(other.weights(5)));
            }
            assertTrue(p.info().rejectedVersions().get(1).reason().contains("differs"));
            assertEquals(ServedPolicy.Offer.NOT_NEWER, p.offer(weights(2, 2, false)));
            assertEquals(ServedPolicy.Offer.SERVED, p.offer(weights(3, 6, false)));
            assertEquals(6, act(p).version());
        }
    }

    @Test
    void aPinHoldsNewerVersionsBackUntilUnpinned() throws Exception {
        try (ServedPolicy p = ServedPolicy.start("cartpole", new ModelSource(CARTPOLE, MLP, 1, -1), BATCHING,
                new ServingMetrics())) {
            p.pin(2);
            assertEquals(ServedPolicy.Offer.SERVED, p.offer(weights(2, 2, false)));
            assertEquals(ServedPolicy.Offer.PINNED, p.offer(weights(2, 3, false)));
            assertEquals(2, act(p).version());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.pin(1));
            assertTrue(e.getMessage().contains("never go backwards"), e.getMessage());
            p.unpin();
            assertEquals(ServedPolicy.Offer.SERVED, p.offer(weights(2, 3, false)));
            assertEquals(3, act(p).version());
            // pinned at the version served now: the next one is held back
            assertEquals(3, p.pinServed());
            assertEquals(ServedPolicy.Offer.PINNED, p.offer(weights(2, 4, false)));
            assertEquals(3, act(p).version());
            assertEquals(3, p.info().pinnedVersion());
        }
    }
}
