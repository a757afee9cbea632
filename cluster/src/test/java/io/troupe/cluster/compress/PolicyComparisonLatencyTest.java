package io.troupe.cluster.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The latencies of an original and a compressed policy are measured call by call in turn (A, B, A, B, ...), so a
 * change of load on a shared machine hits both alike; each median is of its own policy's calls. Two policies that
 * count their calls into one log stand in for ONNX sessions: the order is what is checked, not a time.
 */
class PolicyComparisonLatencyTest {
    @Test
    void bothPoliciesAreTimedCallByCallInTurn() {
        List<String> log = new ArrayList<>();
        ObservationBatch batch = ObservationBatch.of(1, List.of(), List.of());
        double[] medians = PolicyComparison.medianLatenciesMicros(new Logged("A", log), new Logged("B", log), batch,
                0.02);
        assertEquals(2, medians.length);
        assertTrue(log.size() >= 10, "at least 5 timed calls each: " + log.size());
        for (int i = 0; i < log.size(); i++) {
            int call = i;
            assertEquals(i % 2 == 0 ? "A" : "B", log.get(i), () -> "call " + call + " of " + log.size());
        }
        assertTrue(medians[0] >= 0 && medians[1] >= 0, medians[0] + ", " + medians[1]);
    }

    private record Logged(String name, List<String> log) implements Policy {
        @Override
        public String modelId() {
            return name;
        }

        @Override
        public Evaluation evaluate(ObservationBatch observations) {
            log.add(name);
            return new Evaluation(new float[0], new float[0], 0);
        }

        @Override
        public void load(PolicyWeights weights) {
        }

        @Override
        public void close() {
        }
    }
}
