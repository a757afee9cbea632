package io.troupe.environments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvParamsTest {
    @Test
    void aBadValueFromAFileNamesTheFileAndLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("job.conf");
        Files.writeString(file, "# the env's parameters\nsize = 3\nmode = \"tumbling\"\n");
        EnvParams params = new EnvParams("Grid-v0", ConfigFactory.parseFile(file.toFile()));

        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> params.intParam("size", 5, 4, 16));
        assertEquals("env Grid-v0: parameter 'size' must be an integer in 4..16, got 3 (" + file + " line 2)",
                size.getMessage());
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class,
                () -> params.stringParam("mode", "sliding", "sliding", "blocks"));
        assertEquals("env Grid-v0: parameter 'mode' must be one of sliding, blocks, got \"tumbling\" (" + file
                + " line 3)", mode.getMessage());
    }

    @Test
    void aBadValueGivenAsKeyEqualsValueGetsNoMeaninglessOrigin() {
        Config override = ConfigFactory.parseString("mode = tumbling");
        EnvParams params = new EnvParams("Grid-v0", override);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> params.stringParam("mode", "sliding", "sliding", "blocks"));
        assertEquals("env Grid-v0: parameter 'mode' must be one of sliding, blocks, got \"tumbling\"",
                e.getMessage(), "no \"(String: 1)\": a parsed string's origin names no place a user can look");
    }
}
