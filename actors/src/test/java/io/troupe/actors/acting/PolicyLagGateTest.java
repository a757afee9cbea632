package io.troupe.actors.acting;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The max-policy-lag bound: at most N + 1 unrolls ahead of the weights, never before the first version. */
class PolicyLagGateTest {

    @Test
    void offNeverHoldsAnAgentBack() {
        PolicyLagGate gate = new PolicyLagGate(-1);
        assertFalse(gate.mustWait(-1), "not even before the first version");
        for (int i = 0; i < 5; i++) {
            gate.unrollDone(0);
        }
        assertFalse(gate.mustWait(0));
    }

    @Test
    void synchronousPpoWaitsForTheVersionItsLastUnrollTrains() {
        PolicyLagGate gate = new PolicyLagGate(0);
        assertTrue(gate.mustWait(-1), "no version published yet");
        assertFalse(gate.mustWait(0), "the first unroll starts on the first version");
        gate.unrollDone(0);
        assertTrue(gate.mustWait(0), "the next one waits for the version trained on it");
        assertFalse(gate.mustWait(1));
        gate.unrollDone(1);
        assertTrue(gate.mustWait(1));
        assertFalse(gate.mustWait(5), "a jump ahead is fine");
    }

    @Test
    void aLagOfOneAllowsTwoUnrollsOnOneVersion() {
        PolicyLagGate gate = new PolicyLagGate(1);
        gate.unrollDone(3);
        assertFalse(gate.mustWait(3), "a second unroll on version 3");
        gate.unrollDone(3);
        assertTrue(gate.mustWait(3), "a third waits");
        assertFalse(gate.mustWait(4));
        gate.unrollDone(4);
        assertTrue(gate.mustWait(3), "the oldest of the last two started on 3");
        assertFalse(gate.mustWait(4), "4 is newer than that oldest one");
    }

    @Test
    void aNegativeLagBelowOffIsRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PolicyLagGate(-2));
        assertTrue(e.getMessage().contains("troupe.agent.max-policy-lag"), e.getMessage());
    }
}
