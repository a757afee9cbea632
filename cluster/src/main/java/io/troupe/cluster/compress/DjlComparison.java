package io.troupe.cluster.compress;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.run.Evaluation;
import io.troupe.core.ObservationBatch;
import io.troupe.environments.EnvRegistry;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.PolicyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report of a compression that yields another DJL model (pruning, distillation): both policies run on DJL (PyTorch,
 * CPU) for the returns and the latency, the latency measured on observations of the original's own episodes.
 */
public final class DjlComparison {
    /** The backend both are measured on. */
    public static final String BACKEND = "DJL (PyTorch, CPU)";

    private DjlComparison() {
    }

    /** One side of the comparison: a loaded model, its label and its weights file. */
    public record Side(String label, PolicyModel model, Path weightsFile, long bytes) {
    }

    /**
     * Evaluates {@code original} and {@code compressed} greedily over {@code episodes} episodes each from
     * {@code seed}, measures both one call at batch 1 and 16 (call by call in turn, same run), and builds the report.
     */
    public static CompressReport compare(String method, EnvRegistry registry, String envId, Config overrides,
                                         String source, Side original, Side compressed, int episodes, long seed,
                                         double latencySeconds, boolean success, long startNanos,
                                         List<CompressReport.Detail> details) {
        PolicyComparison.Result r = PolicyComparison.compare(registry, envId, overrides, original.model(),
                compressed.model(), episodes, seed);
        List<ObservationBatch> seen = new ArrayList<>();
        Evaluation.episodes(registry, envId, overrides, original.model(), 2, 2, seed + 7,
                (batch, e) -> seen.add(PolicyComparison.firstRows(List.of(batch), batch.rows())));
        ObservationBatch b1 = PolicyComparison.firstRows(seen, 1);
        ObservationBatch b16 = PolicyComparison.firstRows(seen, 16);
        double[] l1 = PolicyComparison.medianLatenciesMicros(original.model(), compressed.model(), b1,
                latencySeconds);
        double[] l16 = PolicyComparison.medianLatenciesMicros(original.model(), compressed.model(), b16,
                latencySeconds);
        double o1 = l1[0];
        double c1 = l1[1];
        double o16 = l16[0];
        double c16 = l16[1];
        CompressReport.PolicyFigures of = new CompressReport.PolicyFigures(original.label(),
                original.weightsFile().toString(), BACKEND, original.model().parameterCount(), original.bytes(), o1,
                o16, PolicyComparison.meanReturn(r.original()),
                success ? PolicyComparison.successRate(r.original()) : null);
        CompressReport.PolicyFigures cf = new CompressReport.PolicyFigures(compressed.label(),
                compressed.weightsFile().toString(), BACKEND, compressed.model().parameterCount(), compressed.bytes(),
                c1, c16, PolicyComparison.meanReturn(r.compressed()),
                success ? PolicyComparison.successRate(r.compressed()) : null);
        return new CompressReport(method, envId, source, of, cf, r.greedyAgreement(), r.meanKl(), r.steps(),
                (System.nanoTime() - startNanos) / 1e9, details);
    }

    /**
     * {@code model} as a whole {@code troupe.model} block: every key {@link ModelConfig#fromConfig} reads, since the
     * block replaces the run's (a key left out would come back as its default and change the network or its id).
     */
    public static Config modelBlock(ModelConfig model) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", model.kind().name().toLowerCase(Locale.ROOT));
        m.put("mlp-hidden", Arrays.stream(model.mlpHidden()).boxed().toList());
        m.put("embedding", model.embedding());
        m.put("heads", model.heads());
        m.put("head-size", model.headSize());
        m.put("layers", model.layers());
        m.put("feed-forward", model.feedForward());
        m.put("patch-size", model.patchSize());
        m.put("state-tokens", model.stateTokens());
        m.put("ablate", model.ablate().label());
        m.put("readout", model.readout().label());
        m.put("film", model.film());
        m.put("stem", Map.of("channels", model.stem().channels(), "cell-size", model.stem().cellSize()));
        m.put("parallel", Map.of("pipeline-stages", model.parallel().pipelineStages(),
                "micro-batches", model.parallel().microBatches()));
        return ConfigFactory.parseMap(m);
    }

    /** A formatted detail. */
    public static CompressReport.Detail detail(String name, String format, Object... args) {
        return new CompressReport.Detail(name, String.format(Locale.ROOT, format, args));
    }
}
