package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.troupe.cluster.config.JobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@code key=value} override of a key that does not exist is refused, naming the key that does, not ignored. */
class JobConfigOverridesTest {
    private static String refusal(String override) {
        return assertThrows(IllegalArgumentException.class, () -> JobConfig.load(null, List.of(override)))
                .getMessage();
    }

    @Test
    void aMisspeltKeyIsRefusedWithTheClosestKeyThatExists() {
        assertEquals("override 'troupe.train.num-agent=4': troupe.train.num-agent is not a setting (did you mean "
                + "troupe.train.num-agents?); every key is documented in the reference.conf of its module",
                refusal("troupe.train.num-agent=4"));
        assertTrue(refusal("troupe.tain.seed=4").contains("troupe.tain.seed is not a setting (did you mean "
                + "troupe.train?)"), refusal("troupe.tain.seed=4"));
        String outside = refusal("foo.bar=1");
        assertTrue(outside.contains("foo.bar is not a setting") && !outside.contains("did you mean"), outside);
        assertTrue(refusal("troupe.train.seed.x=1").contains("troupe.train.seed is a setting, not a section with x"),
                refusal("troupe.train.seed.x=1"));
    }

    @Test
    void anObjectThatDoesNotParseIsMalformedNotAString(@TempDir Path dir) {
        String unbalanced = refusal("troupe.train={seed=3");
        assertTrue(unbalanced.startsWith("override 'troupe.train={seed=3' is malformed: "), unbalanced);
        String folder = assertThrows(IllegalArgumentException.class, () -> JobConfig.load(dir, List.of()))
                .getMessage();
        assertEquals("config file " + dir + " is a directory; expected a HOCON file", folder);
    }

    @Test
    void knownKeysFreeFormMapsAndKeysOfTheJobFileAreTaken(@TempDir Path dir) throws Exception {
        Config c = JobConfig.load(null, List.of("troupe.train.seed=3",
                "troupe.train.env-overrides.max-episode-steps=100", "pekko.loglevel=DEBUG"));
        assertEquals(3, c.getInt("troupe.train.seed"));
        assertEquals(100, c.getInt("troupe.train.env-overrides.max-episode-steps"));
        Path job = Files.writeString(dir.resolve("job.conf"), "troupe.custom { note = a }\n");
        assertEquals("b", JobConfig.load(job, List.of("troupe.custom.note=b")).getString("troupe.custom.note"));
    }
}
