package io.troupe.learners.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/**
 * {@code troupe.model.head-size}: 0 (the default) is embedding / heads and leaves the model id as it was; a head size
 * frees the head count from dividing the embedding and is named in the id where heads x head-size is not the
 * embedding.
 */
class ModelConfigHeadSizeTest {
    private static ModelConfig read(String model) {
        return ModelConfig.fromConfig(ConfigFactory.parseString("troupe.model " + model)
                .withFallback(ConfigFactory.defaultReference()).resolve().getConfig("troupe.model"));
    }

    @Test
    void theDefaultIsEmbeddingOverHeadsAndTheIdIsUnchanged() {
        ModelConfig c = read("{ embedding = 32, heads = 4 }");
        assertEquals(8, c.headSize());
        assertEquals(32, c.attentionWidth());
        assertEquals("transformer(e32,h4,l1,ff64,p6,s1)", c.describe());
        assertEquals(c, read("{ embedding = 32, heads = 4, head-size = 8 }"));
    }

    @Test
    void aHeadSizeFreesTheHeadCountAndIsNamed() {
        ModelConfig c = read("{ embedding = 32, heads = 3, head-size = 8 }");
        assertEquals(24, c.attentionWidth());
        assertEquals("transformer(e32,h3,hs8,l1,ff64,p6,s1)", c.describe());
        assertEquals(c, ModelConfig.transformer(32, 4, 1, 64, 6, 1).withHeads(3));
        assertEquals(8, c.withAblation(Ablation.TEXT).withParallelism(Parallelism.NONE).headSize());
    }

    @Test
    void badHeadSizesAreRefusedNamingTheKey() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> read("{ head-size = -1 }"));
        assertEquals("troupe.model.head-size must be >= 1, or 0 for embedding / heads, got -1", negative.getMessage());
        IllegalArgumentException indivisible = assertThrows(IllegalArgumentException.class,
                () -> read("{ embedding = 32, heads = 3 }"));
        assertEquals("troupe.model.heads = 3 must divide troupe.model.embedding = 32", indivisible.getMessage());
    }
}
