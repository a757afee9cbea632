package io.troupe.learners.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.Locale;

/**
 * How the learner's model is split, read from {@code troupe.model.parallel}: pipeline parallelism for the
 * transformer, whose encoder blocks are divided into {@code pipelineStages} contiguous stages, each on its own device
 * (the first stage also holds the tokenizers, the last the final norm and the heads), trained with GPipe's schedule
 * (Huang et al. 2019): each minibatch is cut into {@code microBatches} micro-batches that go forward through the
 * stages one after the other, then backward in reverse, their gradients accumulated into one optimizer step.
 * Not part of the architecture: a split model publishes and loads the same weights as the unsplit one.
 *
 * @param pipelineStages stages the transformer's blocks are split into (1: no pipeline)
 * @param microBatches   micro-batches per minibatch (1: the minibatch in one piece)
 */
public record Parallelism(int pipelineStages, int microBatches) {
    /** One stage, one micro-batch: the unsplit model. */
    public static final Parallelism NONE = new Parallelism(1, 1);

    public Parallelism {
        if (pipelineStages < 1) {
            throw new IllegalArgumentException("troupe.model.parallel.pipeline-stages must be >= 1, got "
                    + pipelineStages);
        }
        if (microBatches < 1) {
            throw new IllegalArgumentException("troupe.model.parallel.micro-batches must be >= 1, got "
                    + microBatches);
        }
    }

    /**
     * GPipe's bubble: the share of each stage's time spent idle while the pipeline fills and drains,
     * {@code (K - 1) / (M + K - 1)} for K stages and M micro-batches (0 without a pipeline).
     */
    public double bubbleFraction() {
        return (pipelineStages - 1) / (double) (microBatches + pipelineStages - 1);
    }

    public boolean pipelined() {
        return pipelineStages > 1;
    }

    /** For logs and status pages: "2 stages x 4 micro-batches (bubble 0.20)". */
    public String describe() {
        return String.format(Locale.ROOT, "%d stage%s x %d micro-batch%s (bubble %.2f)", pipelineStages,
                pipelineStages == 1 ? "" : "s", microBatches, microBatches == 1 ? "" : "es", bubbleFraction());
    }

    public static Parallelism fromConfig(Config parallel) {
        try {
            return new Parallelism(parallel.getInt("pipeline-stages"), parallel.getInt("micro-batches"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("troupe.model.parallel: " + e.getMessage(), e);
        }
    }
}
