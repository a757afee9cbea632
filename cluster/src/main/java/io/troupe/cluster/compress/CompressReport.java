package io.troupe.cluster.compress;

import io.troupe.cluster.json.JsonCodec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What every {@code ./troupe compress} command writes as {@value #FILE} and prints as a table: the original and the
 * compressed policy side by side (parameters, bytes on disk, latency at batch 1 and 16 on the same backend in the
 * same run, mean return and success rate with 95% confidence intervals), how often they choose the same greedy action
 * and their mean KL divergence on the same observations (the original's trajectory), the wall time spent, and the
 * method's own facts as named details (calibration, layers kept in float, sparsity, ...).
 *
 * @param method          the command ({@code quantize}, {@code prune}, {@code distill})
 * @param envId           the env both policies were evaluated on
 * @param source          the run (checkpoint) the original came from
 * @param original        the original policy's figures
 * @param compressed      the compressed policy's figures
 * @param greedyAgreement fraction of the original's steps where both choose the same greedy action
 * @param meanKl          mean KL(original || compressed) of the action distributions over those steps
 * @param comparedSteps   the steps compared (every env copy's observation at every step of the original's episodes)
 * @param wallSeconds     the command's wall time, compression and evaluation included
 * @param details         the method's own facts, in the order printed
 */
public record CompressReport(String method, String envId, String source, PolicyFigures original,
                             PolicyFigures compressed, double greedyAgreement, double meanKl, long comparedSteps,
                             double wallSeconds, List<Detail> details) {
    /** The report's file name, written beside the compressed model. */
    public static final String FILE = "compress-report.json";

    public CompressReport {
        details = List.copyOf(details);
    }

    /**
     * One policy's figures.
     *
     * @param label          what it is ({@code float32 ONNX}, {@code int8 ONNX}, {@code DJL}, ...)
     * @param file           its file on disk
     * @param backend        what ran it for the latency and the returns ({@code ONNX Runtime, 1 thread})
     * @param parameters     number of parameters (nonzero ones listed in {@link #details} where that differs)
     * @param bytes          bytes of {@code file} on disk
     * @param latencyBatch1  median microseconds of one call at batch 1
     * @param latencyBatch16 median microseconds of one call at batch 16
     * @param meanReturn     mean episode return, 95% interval
     * @param successRate    success rate, 95% Wilson interval; null where the env defines no success
     */
    public record PolicyFigures(String label, String file, String backend, long parameters, long bytes,
                                double latencyBatch1, double latencyBatch16, Estimate meanReturn,
                                Estimate successRate) {
    }

    /** A method's own fact, printed under the table. */
    public record Detail(String name, String value) {
    }

    /** The report as pretty JSON (snake_case keys). */
    public String toJson() {
        return JsonCodec.pretty(this);
    }

    /** Stages {@value #FILE} in {@code dir} with {@code files}. */
    public void stage(StagedFiles files, Path dir) {
        files.write(dir.resolve(FILE), (toJson() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Prints the table. */
    public void print(PrintStream out) {
        out.printf("compress %s: %s, %s%n", method, envId, source);
        String f = "%-34s %24s %24s %10s%n";
        out.printf(f, "figure", "original", "compressed", "ratio");
        out.printf(f, "policy", original.label(), compressed.label(), "");
        out.printf(f, "parameters", String.format(Locale.ROOT, "%,d", original.parameters()),
                String.format(Locale.ROOT, "%,d", compressed.parameters()),
                ratio(original.parameters(), compressed.parameters()));
        out.printf(f, "bytes on disk", String.format(Locale.ROOT, "%,d", original.bytes()),
                String.format(Locale.ROOT, "%,d", compressed.bytes()), ratio(original.bytes(), compressed.bytes()));
        out.printf(f, "latency batch 1 (us)", us(original.latencyBatch1()), us(compressed.latencyBatch1()),
                ratio(original.latencyBatch1(), compressed.latencyBatch1()));
        out.printf(f, "latency batch 16 (us)", us(original.latencyBatch16()), us(compressed.latencyBatch16()),
                ratio(original.latencyBatch16(), compressed.latencyBatch16()));
        out.printf(f, "mean return (95% CI)", interval(original.meanReturn(), "%.2f"),
                interval(compressed.meanReturn(), "%.2f"),
                String.format(Locale.ROOT, "%.3f", compressed.meanReturn().mean() / original.meanReturn().mean()));
        if (original.successRate() != null && compressed.successRate() != null) {
            out.printf(f, "success rate (95% CI)", interval(original.successRate(), "%.3f"),
                    interval(compressed.successRate(), "%.3f"), "");
        }
        out.printf(f, "episodes", Integer.toString(original.meanReturn().n()),
                Integer.toString(compressed.meanReturn().n()), "");
        out.printf("greedy action agreement %.4f, mean KL(original || compressed) %.3g over %,d steps of the "
                + "original's episodes; backend %s; wall time %.1f s%n", greedyAgreement, meanKl, comparedSteps,
                compressed.backend(), wallSeconds);
        for (Detail d : details) {
            out.printf("  %s: %s%n", d.name(), d.value());
        }
    }

    private static String ratio(double original, double compressed) {
        return compressed == 0 ? "" : String.format(Locale.ROOT, "%.2fx", original / compressed);
    }

    private static String us(double micros) {
        return String.format(Locale.ROOT, "%.1f", micros);
    }

    private static String interval(Estimate e, String format) {
        return String.format(Locale.ROOT, format + " [" + format + ", " + format + "]", e.mean(), e.low(), e.high());
    }
}
