package io.troupe.actors;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.EnvSpec;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import org.junit.jupiter.api.Test;

/** An unroll that can never be sent is refused before the job starts, naming the keys that bound it. */
class UnrollBudgetTest {
    private static EnvSpec spec(String envId) {
        try (Env env = EnvRegistry.defaults().make(envId)) {
            return env.spec();
        }
    }

    private static AgentSettings settings(int unrollLength, int replayMaxBytes) {
        return AgentSettings.fromConfig(ConfigFactory.parseString("troupe.agent.unroll-length = " + unrollLength
                        + ", troupe.replay.max-message-bytes = " + replayMaxBytes)
                .withFallback(ConfigFactory.defaultReference()).resolve());
    }

    @Test
    void aHardLevelUnrollOverTheReplayLimitIsRefusedNamingEveryKey() {
        EnvSpec hard = spec("GoToObject-Hard-v0");
        long bytes = UnrollBudget.unrollBytes(hard, 64, "agent-000");
        // 65 rows of a 3x48x48 image alone
        assertTrue(bytes > 65L * 3 * 48 * 48, "estimate " + bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UnrollBudget.check(hard, settings(64, 196608), 256 * 1024));
        for (String part : new String[] {"GoToObject-Hard-v0", "64 steps", String.valueOf(bytes),
                "troupe.replay.max-message-bytes = 196608", "troupe.transport.max-message-bytes = 262144",
                "troupe.agent.unroll-length", "maximum-frame-size"}) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
        assertDoesNotThrow(() -> UnrollBudget.check(hard, settings(64, 786432), 1024 * 1024));
        assertDoesNotThrow(() -> UnrollBudget.check(hard, settings(16, 196608), 256 * 1024),
                "a quarter of the unroll fits the default budget");
    }

    @Test
    void theSmallerOfTheTwoLimitsIsTheBudget() {
        EnvSpec hard = spec("GoToObject-Hard-v0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UnrollBudget.check(hard, settings(64, 786432), 256 * 1024));
        assertTrue(e.getMessage().contains("message budget of 262144 bytes"), e.getMessage());
    }

    @Test
    void theDefaultJobsFitTheDefaultBudget() {
        AgentSettings defaults = settings(64, 196608);
        assertDoesNotThrow(() -> UnrollBudget.check(spec("CartPole-v1"), defaults, 256 * 1024));
        assertDoesNotThrow(() -> UnrollBudget.check(spec("GoToObject-v0"), defaults, 256 * 1024),
                "conf/gotoobject.conf's 64-step unrolls");
    }
}
