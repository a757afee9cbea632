package io.troupe.learners.prune;

import io.troupe.learners.model.PolicyModel;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * Gradual magnitude pruning (Zhu and Gupta 2017, "To prune, or not to prune"): during fine-tuning the sparsity rises
 * from 0 to {@code finalSparsity} over the first {@code rampSteps} env steps along
 * {@code s(t) = s_f * (1 - (1 - t / rampSteps)^3)}, the mask re-selected by magnitude (ranked as {@code ranking} says)
 * as it rises, then stays. Entries pruned earlier are zero, so each new mask contains the previous one (by layer, a
 * small matrix's share can fall by one entry at the last, short step of the ramp; that entry is then free again).
 * A learner whose checkpoint directory holds {@link #FILE} follows the schedule ({@code Learner}). On CartPole
 * one-shot pruning to 80% recovers better within the same fine-tuning budget (measured in the README), so
 * {@code compress prune} prunes at once unless asked.
 *
 * @param finalSparsity the sparsity reached at {@code rampSteps}, in (0, 1)
 * @param rampSteps     env steps over which the sparsity rises
 * @param ranking       how the pruned entries are shared among the weight matrices
 */
public record GradualPruning(double finalSparsity, long rampSteps, MagnitudePruning.Ranking ranking) {
    /** The schedule's file in a learner's checkpoint directory. */
    public static final String FILE = "prune-schedule.properties";
    /** The sparsity changes re-select the mask in steps of at least this much (and at the end of the ramp). */
    public static final double STEP = 0.02;

    public GradualPruning {
        MagnitudePruning.checkSparsity(finalSparsity);
        if (rampSteps < 1) {
            throw new IllegalArgumentException("gradual pruning needs a ramp of >= 1 env step, got " + rampSteps);
        }
        Objects.requireNonNull(ranking, "ranking");
    }

    /** Global ranking, as every schedule written before rankings existed. */
    public GradualPruning(double finalSparsity, long rampSteps) {
        this(finalSparsity, rampSteps, MagnitudePruning.Ranking.GLOBAL);
    }

    /** The mask at sparsity {@code sparsity} of {@code model}'s weights as they are now. */
    public ParameterMask select(PolicyModel model, double sparsity) {
        return MagnitudePruning.select(model, sparsity, ranking);
    }

    /** The target sparsity after {@code envSteps} env steps of fine-tuning. */
    public double sparsityAt(long envSteps) {
        if (envSteps >= rampSteps) {
            return finalSparsity;
        }
        double left = 1 - (double) Math.max(0, envSteps) / rampSteps;
        return finalSparsity * (1 - left * left * left);
    }

    /** Whether the mask should be re-selected, moving from sparsity {@code current} to {@code target}. */
    public boolean due(double current, double target) {
        return target - current >= STEP || (target == finalSparsity && current != finalSparsity);
    }

    public void write(Path file) {
        Properties p = new Properties();
        p.setProperty("final-sparsity", Double.toString(finalSparsity));
        p.setProperty("ramp-steps", Long.toString(rampSteps));
        p.setProperty("ranking", ranking.id());
        try {
            StringWriter w = new StringWriter();
            p.store(w, "Troupe gradual pruning schedule");
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, w.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the pruning schedule " + file + ": " + e.getMessage(), e);
        }
    }

    /** The schedule a learner keeps in {@code checkpointDir}, if one is there; a damaged file is an error naming it. */
    public static Optional<GradualPruning> inCheckpointDir(Path checkpointDir) {
        Path file = checkpointDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
            return Optional.of(new GradualPruning(Double.parseDouble(p.getProperty("final-sparsity")),
                    Long.parseLong(p.getProperty("ramp-steps")),
                    MagnitudePruning.Ranking.parse(p.getProperty("ranking", "global"))));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("pruning schedule " + file + " is unreadable: " + e.getMessage(), e);
        }
    }
}
