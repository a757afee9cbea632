package io.troupe.learners.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.troupe.learners.model.ModelConfig;
import org.junit.jupiter.api.Test;

/** The device check's {@code --transformer E,H,L,FF}: the size of a throughput-only GoToObject transformer. */
class DeviceCheckTest {
    @Test
    void aTransformerSizeIsEmbeddingHeadsLayersFeedForwardWithGoToObjectsTokens() {
        assertEquals(ModelConfig.transformer(128, 4, 6, 512, 6, 1), DeviceCheck.parseTransformer("128,4,6,512"));
        assertEquals("transformer(e1024,h16,l8,ff4096,p6,s1)",
                DeviceCheck.parseTransformer("1024, 16, 8, 4096").describe());
    }

    @Test
    void aMalformedSizeNamesTheOptionAndWhatItExpects() {
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> DeviceCheck.parseTransformer("128,4,6"));
        assertEquals("--transformer expects EMBEDDING,HEADS,LAYERS,FEED_FORWARD (e.g. 128,4,6,512), got '128,4,6'",
                count.getMessage());
        IllegalArgumentException number = assertThrows(IllegalArgumentException.class,
                () -> DeviceCheck.parseTransformer("128,four,6,512"));
        assertEquals("--transformer expects four integers EMBEDDING,HEADS,LAYERS,FEED_FORWARD (e.g. 128,4,6,512), "
                + "got '128,four,6,512'", number.getMessage());
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> DeviceCheck.parseTransformer("100,3,6,512"));
        assertEquals("troupe.model.heads = 3 must divide troupe.model.embedding = 100", heads.getMessage());
    }
}
