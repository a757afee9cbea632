package io.troupe.environments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.Action;
import io.troupe.environments.cartpole.CartPole;
import org.junit.jupiter.api.Test;

class AbstractEnvTest {

    @Test
    void stepBeforeResetNamesTheEnvAndTheFix() {
        CartPole env = new CartPole();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> env.step(Action.discrete(0)));
        assertEquals("CartPole-v1: step() called before reset(); call reset(seed) first", e.getMessage());
    }

    @Test
    void invalidActionNamesTheActionAndTheSpace() {
        CartPole env = new CartPole();
        env.reset(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> env.step(Action.discrete(2)));
        assertTrue(e.getMessage().contains("Discrete(2)") && e.getMessage().contains("invalid action"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> env.step(Action.continuous(0.5f)));
        assertTrue(e.getMessage().contains("Continuous[0.5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> env.step(null));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void resetWithoutSeedContinuesTheStreamDeterministically() {
        CartPole a = new CartPole();
        CartPole b = new CartPole();
        assertEquals(a.reset(), b.reset(), "unseeded envs start from seed 0");
        a.reset(5);
        b.reset(5);
        assertEquals(a.reset(), b.reset());
        assertTrue(!a.reset(5).equals(a.reset()), "reset() draws a new initial state");
    }
}
