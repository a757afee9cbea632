package io.troupe.cluster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code troupe bench pipeline} in miniature: every setup answers and is measured, the table prints. No timings. */
class PipelineBenchTest {
    @Test
    void everyModelIsMeasuredOnOneNodeAndThroughTwoAndThreeStageNodes() throws Exception {
        PipelineBench.Result r = PipelineBench.run(0.2, 1, List.of(3));
        assertEquals(6, r.rows().size(), r.toString());
        for (PipelineBench.Row row : r.rows()) {
            assertEquals(3, row.rows());
            assertTrue(row.p50Ms() > 0 && row.p99Ms() >= row.p50Ms() && row.requestsPerS() > 0, row.toString());
            if (row.stages() == 1) {
                assertEquals(0, row.hopBytes());
                assertEquals(1.0, row.vsOneNode(), 1e-9);
            } else {
                // GoToObject's sequence: the summary token, 25 image patches, 5 mission tokens, one state token
                int width = row.model().startsWith("large") ? 256 : 32;
                assertEquals(3L * 32 * width * Float.BYTES, row.hopBytes(), row.toString());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PipelineBench.print(r, new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("3 nodes") && table.contains("large-6x256") && table.contains("load average"),
                table);
    }
}
