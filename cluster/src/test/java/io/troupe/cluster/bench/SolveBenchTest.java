package io.troupe.cluster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code troupe bench solve}'s parts that need no training: seeds, summaries, medians, the table. */
class SolveBenchTest {
    @TempDir
    Path dir;

    @Test
    void seedsAreRangesAndListsAndABadListIsNamed() {
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), SolveBench.parseSeeds("1-8"));
        assertEquals(List.of(1L, 3L, 9L, 10L), SolveBench.parseSeeds("1,3, 9-10"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SolveBench.parseSeeds("8-1"));
        assertTrue(e.getMessage().contains("--seeds") && e.getMessage().contains("'8-1'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SolveBench.parseSeeds("one"));
    }

    @Test
    void aSummaryGivesTheSeedsFiguresAndAnUnsolvedRunHasNone() throws Exception {
        Path solved = dir.resolve("solved.json");
        Files.writeString(solved, """
                {"run_id": "CartPole-v1-ppo-s3", "solved": true, "stop_reason": "target reached",
                 "wall_s_to_solve": 7.6123, "env_steps_to_solve": 105262, "wall_s": 7.7,
                 "wall_s_since_jvm_start": 9.8, "wall_s_to_solve_since_jvm_start": 9.5456, "mode": "cluster"}""");
        Path unsolved = dir.resolve("unsolved.json");
        Files.writeString(unsolved, """
                {"solved": false, "stop_reason": "time budget spent", "wall_s_to_solve": null,
                 "env_steps_to_solve": null, "wall_s_to_solve_since_jvm_start": null}""");
        SolveBench.SeedRun s = SolveBench.read(3, solved, 10.126);
        assertEquals(new SolveBench.SeedRun(3, true, 105262, 7.61, 9.55, 10.13), s);
        SolveBench.SeedRun u = SolveBench.read(4, unsolved, 300);
        assertFalse(u.solved());
        assertEquals(-1, u.envStepsToSolve());
        assertEquals(-1, u.sinceJvmStartS());
    }

    @Test
    void mediansTakeTheMiddleOrTheMeanOfTheMiddleTwo() {
        assertEquals(5.0, SolveBench.median(new double[] {9, 5, 1}));
        assertEquals(4.0, SolveBench.median(new double[] {1, 3, 5, 9}));
        assertTrue(Double.isNaN(SolveBench.median(new double[0])));
    }

    @Test
    void theTablePrintsEverySeedTheMediansAndTheLoad() {
        SolveBench.Result r = new SolveBench.Result("conf/cartpole.conf",
                List.of(new SolveBench.SeedRun(1, true, 123248, 8.2, 10.2, 10.9),
                        new SolveBench.SeedRun(2, true, 105262, 7.6, 9.5, 10.1)), 2, 114255, 7.9, 9.85,
                "1.00 2.00 3.00", "1.50 2.00 3.00");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SolveBench.print(r, new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("123,248") && table.contains("2/2") && table.contains("9.85")
                && table.contains("load average before: 1.00 2.00 3.00"), table);
    }
}
