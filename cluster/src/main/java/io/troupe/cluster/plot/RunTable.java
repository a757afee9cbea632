package io.troupe.cluster.plot;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.cluster.json.JsonCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** {@code ./troupe runs}: one row per run directory that has a {@code summary.json}, sorted by run id. */
public final class RunTable {
    private static final String[] HEADER = {"run", "env", "algorithm", "seed", "solved", "steps to solve",
        "s to solve", "steps", "wall s", "return(100)"};

    private RunTable() {
    }

    /** A run's row, from its summary. */
    public record Row(String runId, String env, String algorithm, long seed, boolean solved, Long envStepsToSolve,
                      Double wallSToSolve, long envSteps, double wallS, Double meanReturn100) {
        static Row of(JsonNode s) {
            return new Row(s.path("run_id").asText(), s.path("env").asText(), s.path("algorithm").asText(),
                    s.path("seed").asLong(), s.path("solved").asBoolean(),
                    s.hasNonNull("env_steps_to_solve") ? s.get("env_steps_to_solve").asLong() : null,
                    s.hasNonNull("wall_s_to_solve") ? s.get("wall_s_to_solve").asDouble() : null,
                    s.path("env_steps").asLong(), s.path("wall_s").asDouble(),
                    s.hasNonNull("mean_return_100") ? s.get("mean_return_100").asDouble() : null);
        }

        String[] cells() {
            return new String[] {runId, env, algorithm, Long.toString(seed), solved ? "yes" : "no",
                envStepsToSolve == null ? "-" : String.format(Locale.ROOT, "%,d", envStepsToSolve),
                wallSToSolve == null ? "-" : String.format(Locale.ROOT, "%.1f", wallSToSolve),
                String.format(Locale.ROOT, "%,d", envSteps), String.format(Locale.ROOT, "%.1f", wallS),
                meanReturn100 == null ? "-" : String.format(Locale.ROOT, "%.1f", meanReturn100)};
        }
    }

    /**
     * The runs under {@code dir} (its sub-directories with a summary.json; {@code dir} itself if it is a run). A
     * missing directory is an IllegalArgumentException naming it.
     */
    public static List<Row> read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory (expected the runs directory, e.g. runs/)");
        }
        List<Path> summaries = new ArrayList<>();
        if (Files.isRegularFile(dir.resolve("summary.json"))) {
            summaries.add(dir.resolve("summary.json"));
        } else {
            try (Stream<Path> children = Files.list(dir)) {
                children.map(c -> c.resolve("summary.json")).filter(Files::isRegularFile).forEach(summaries::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Path s : summaries) {
            try {
                rows.add(Row.of(JsonCodec.readTree(Files.readString(s, StandardCharsets.UTF_8), s.toString())));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + s + ": " + e.getMessage(), e);
            }
        }
        rows.sort((a, b) -> a.runId().compareTo(b.runId()));
        return rows;
    }

    /** The rows as an aligned text table with a header. */
    public static String render(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADER);
        rows.forEach(r -> cells.add(r.cells()));
        int[] width = new int[HEADER.length];
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                boolean text = i < 3 || i == 4;
                String cell = text ? String.format("%-" + width[i] + "s", c[i]) : String.format("%" + width[i] + "s",
                        c[i]);
                b.append(cell).append(i == c.length - 1 ? "" : "  ");
            }
            b.append(System.lineSeparator());
        }
        return b.toString().replaceAll("(?m) +$", "");
    }
}
