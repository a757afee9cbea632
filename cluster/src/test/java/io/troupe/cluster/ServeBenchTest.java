package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.bench.ServeBench;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code troupe bench serve} in miniature: every figure is measured, nothing fails, the table prints. No timings. */
class ServeBenchTest {
    @Test
    void theServeBenchMeasuresEveryFigureWithoutAFailedRequest() throws Exception {
        ServeBench.Result r = ServeBench.run(ConfigFactory.load(), ServeBench.Client.EVENT_LOOP, 4, 0.3, 1.5);
        assertEquals(2, r.models().size());
        for (ServeBench.ModelFigures m : r.models()) {
            assertTrue(m.ceilingRps() > 0 && m.dynamicRps() > 0 && m.otherDelayRps() > 0 && m.singleRps() > 0,
                    m.toString());
            assertTrue(m.meanBatch() >= 1 && m.p50Ms() > 0 && m.p99Ms() >= m.p50Ms(), m.toString());
            assertEquals(0, m.failed(), m.toString());
            // the event-loop client tells the server's CPU time apart from its own
            assertTrue(m.ceilingCpuUs() > 0 && m.dynamicCpuUs() > 0 && m.singleCpuUs() > 0, m.toString());
            assertTrue(m.modelRowUs1() > 0 && m.modelRowUsMax() > 0, m.toString());
            // the policies' worker threads are found by name and their CPU time read (NaN otherwise)
            assertTrue(m.dynamicWorkerUs() > 0 && m.singleWorkerUs() > 0, m.toString());
            // the four routes' 4 s of warm-up cut to the 1.5 s of maxWarmUp: one window of 1.5 s, a route a quarter
            assertTrue(m.warmUpS() >= 1.5 && m.warmUpS() < 3, m.toString());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ServeBench.print(r, new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("ceiling: no-op route") && table.contains("GoToObject-v0"), table);
        assertTrue(table.contains("server CPU per request: dynamic (us)") && !table.contains("n/a"), table);
        assertTrue(table.contains("worker CPU per obs: dynamic (us)"), table);
        assertTrue(table.contains("ceiling / max-batch-size 1"), table);
    }
}
