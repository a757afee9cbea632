package io.troupe.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's timeouts are settings read from reference.conf and validated naming the key; its states are an enum. */
class AgentSettingsTest {
    private static Config withAgent(String agentKeys) {
        return ConfigFactory.parseString("troupe.agent { " + agentKeys + " }")
                .withFallback(ConfigFactory.defaultReference()).resolve();
    }

    @Test
    void timeoutsComeFromReferenceConf() {
        AgentSettings s = AgentSettings.fromConfig(withAgent(""));
        assertEquals(AgentSettings.POLICY_WAIT_TIMEOUT, s.policyWaitTimeout());
        assertEquals(AgentSettings.CONFIRM_TIMEOUT, s.confirmTimeout());
        AgentSettings tuned = AgentSettings.fromConfig(withAgent("confirm-timeout = 30s, policy-wait-timeout = 3s"));
        assertEquals(Duration.ofSeconds(30), tuned.confirmTimeout());
        assertEquals(Duration.ofSeconds(3), tuned.policyWaitTimeout());
        assertEquals(tuned.confirmTimeout(), tuned.actingFreely().confirmTimeout(), "acting freely keeps them");
    }

    @Test
    void aNonPositiveTimeoutIsRefusedNamingItsKey() {
        for (String key : List.of("policy-wait-timeout", "confirm-timeout")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AgentSettings.fromConfig(withAgent(key + " = 0s")));
            assertTrue(e.getMessage().contains("troupe.agent." + key), e.getMessage());
        }
    }

    @Test
    void theActingSliceComesFromReferenceConfAndIsBounded() {
        assertEquals(AgentSettings.ACTING_SLICE, AgentSettings.fromConfig(withAgent("")).actingSlice());
        assertEquals(Duration.ZERO, AgentSettings.fromConfig(withAgent("acting-slice = 0s")).actingSlice(),
                "0: one step per message");
        assertEquals(Duration.ofMillis(5), AgentSettings.fromConfig(withAgent("acting-slice = 5ms")).actingFreely()
                .actingSlice(), "acting freely keeps it");
        for (String bad : List.of("-1ms", "2s")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AgentSettings.fromConfig(withAgent("acting-slice = " + bad)));
            assertTrue(e.getMessage().contains("troupe.agent.acting-slice") && e.getMessage().contains("between 0"),
                    e.getMessage());
        }
    }

    @Test
    void statesHaveTheLabelsUsersSee() {
        assertEquals(List.of("starting", "acting", "waiting-for-replay", "waiting-for-policy", "paused"),
                Agent.Stats.STATES);
        for (AgentState s : AgentState.values()) {
            assertEquals(s, AgentState.ofLabel(s.label()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentState.ofLabel("asleep"));
        assertTrue(e.getMessage().contains("'asleep'") && e.getMessage().contains("waiting-for-policy"),
                e.getMessage());
    }
}
