package io.troupe.cluster.plot;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.monitor.MetricsHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A run's {@code metrics.jsonl} as numbers: one row per line, every numeric field by its name as written
 * ({@code env_steps}, {@code mean_return_100}, {@code losses/policy_loss}); a null (a NaN when written) is absent.
 *
 * @param label how the run is named in a legend: {@code <env> <algorithm> s<seed>} from its summary (with
 *              {@code ablate=text|image} when its config ablated the model), else the directory's name
 */
public record RunHistory(Path dir, String label, List<Map<String, Double>> rows) {
    private static final String ABLATE = "troupe.model.ablate";

    public RunHistory {
        rows = List.copyOf(rows);
    }

    /** Reads {@code dir/metrics.jsonl}; a missing or malformed file is an IllegalArgumentException naming it. */
    public static RunHistory read(Path dir) {
        Path file = dir.resolve("metrics.jsonl");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + " is not a run directory: it has no metrics.jsonl (expected "
                    + "runs/<run-id>/ as ./troupe train writes it)");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            rows.add(MetricsHistory.numbers(JsonCodec.readTree(lines.get(i), file + " line " + (i + 1))));
        }
        return new RunHistory(dir, label(dir), rows);
    }

    private static String label(Path dir) {
        Path summary = dir.resolve("summary.json");
        if (Files.isRegularFile(summary)) {
            try {
                JsonNode s = JsonCodec.readTree(Files.readString(summary, StandardCharsets.UTF_8), summary.toString());
                if (s.hasNonNull("env") && s.hasNonNull("algorithm")) {
                    return s.get("env").asText() + " " + s.get("algorithm").asText() + " s" + s.path("seed").asText()
                            + ablation(dir);
                }
            } catch (IOException | IllegalArgumentException e) {
                // a damaged summary does not stop a plot: the directory's name labels the curve
            }
        }
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? dir.toString() : name.toString();
    }

    /**
     * " ablate=text" (or image) when the run's {@code config.conf} says its model was ablated, so that the three curves
     * of an ablation study with one seed are told apart; "" otherwise, and for a config that does not parse.
     */
    private static String ablation(Path dir) {
        Path config = dir.resolve("config.conf");
        if (!Files.isRegularFile(config)) {
            return "";
        }
        try {
            Config c = ConfigFactory.parseFile(config.toFile());
            String ablate = c.hasPath(ABLATE) ? c.getString(ABLATE) : "none";
            return "none".equalsIgnoreCase(ablate.strip()) ? "" : " ablate=" + ablate.strip();
        } catch (ConfigException e) {
            return "";
        }
    }

    /** Every metric some line of this run reports, sorted. */
    public Set<String> metrics() {
        Set<String> names = new TreeSet<>();
        rows.forEach(r -> names.addAll(r.keySet()));
        return names;
    }

    /** The points (x, y) of the lines that report both, in file order: {@code [0]} holds xs, {@code [1]} ys. */
    public double[][] series(String x, String y) {
        List<double[]> points = new ArrayList<>();
        for (Map<String, Double> r : rows) {
            Double a = r.get(x);
            Double b = r.get(y);
            if (a != null && b != null) {
                points.add(new double[] {a, b});
            }
        }
        double[][] out = new double[2][points.size()];
        for (int i = 0; i < points.size(); i++) {
            out[0][i] = points.get(i)[0];
            out[1][i] = points.get(i)[1];
        }
        return out;
    }
}
