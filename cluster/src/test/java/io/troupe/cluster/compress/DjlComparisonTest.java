package io.troupe.cluster.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.ImageStem;
import io.troupe.learners.model.ModelConfig;
import io.troupe.learners.model.Parallelism;
import io.troupe.learners.model.Readout;
import org.junit.jupiter.api.Test;

/**
 * The {@code troupe.model} block that {@code compress prune} and {@code compress distill} write into their jobs reads
 * back as the same network: none of its settings falls back to a default.
 */
class DjlComparisonTest {
    @Test
    void theModelBlockReadsBackAsTheSameNetworkWithEverySettingKept() {
        ModelConfig model = ModelConfig.transformer(32, 4, 2, 64, 6, 2).withHeads(3)
                .withAblation(Ablation.TEXT).withReadout(Readout.MEAN).withParallelism(new Parallelism(2, 4))
                .withFilm(true).withStem(new ImageStem(16, 3));
        ModelConfig back = ModelConfig.fromConfig(DjlComparison.modelBlock(model));
        assertEquals(model.describe(), back.describe());
        assertEquals(model.kind(), back.kind());
        assertArrayEquals(model.mlpHidden(), back.mlpHidden());
        assertEquals(model.headSize(), back.headSize());
        assertEquals(Ablation.TEXT, back.ablate());
        assertEquals(Readout.MEAN, back.readout());
        assertEquals(new Parallelism(2, 4), back.parallel());
        assertEquals(model.attentionWidth(), back.attentionWidth());
        assertEquals(new ImageStem(16, 3), back.stem());
        assertEquals(ImageStem.NONE, ModelConfig.fromConfig(DjlComparison.modelBlock(model.withStem(ImageStem.NONE)))
                .stem(), "no stem reads back as none");
    }
}
