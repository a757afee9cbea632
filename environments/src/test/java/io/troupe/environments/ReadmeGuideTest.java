package io.troupe.environments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.environments.check.CheckReport;
import io.troupe.environments.check.EnvChecker;
import org.junit.jupiter.api.Test;

/** The README's guide for researchers, step by step: define, register from HOCON, check. */
class ReadmeGuideTest {
    @Test
    void corridorFromTheReadmeRegistersAndPassesTheChecker() {
        EnvRegistry registry = EnvRegistry.fromConfig(ConfigFactory.parseString("""
                troupe.environments {
                  Corridor-v0 {
                    class = "com.acme.Corridor"   # constructor (EnvParams) or ()
                    max-episode-steps = 200        # optional: wraps it in TimeLimit
                    reward-threshold = 0.8         # optional: mean return at which it counts as solved
                    params { length = 20 }         # optional: read with params.intParam(...) and friends
                  }
                }
                """).withFallback(ConfigFactory.defaultReference()).resolve());
        CheckReport report = EnvChecker.check(registry, "Corridor-v0");
        assertTrue(report.passed(), report.format());
        assertEquals(200, registry.spec("Corridor-v0").maxEpisodeSteps().getAsInt());
        assertEquals(0.8, registry.spec("Corridor-v0").rewardThreshold().getAsDouble());
    }
}
