package io.troupe.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.experience.Transition;
import io.troupe.replay.adder.NStepTransitionAdder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NStepTransitionAdderTest {
    private static Observation obs(int t) {
        return Observation.of(FloatTensor.of(t, 0, 0, 0));
    }

    private static float first(Observation o) {
        return ((FloatTensor) o.single()).data()[0];
    }

    @Test
    void threeStepReturnsAndDiscountsByHand() {
        NStepTransitionAdder adder = new NStepTransitionAdder(3, 0.5, Items.CARTPOLE.observationSpace(), "a");
        List<Transition> out = new ArrayList<>();
        double[] r = {1, 2, 4, 8, 16};
        for (int t = 0; t < 5; t++) {
            out.addAll(adder.add(obs(t), t % 2, r[t], t == 4, false, obs(t + 1), 3, 1));
        }
        assertEquals(5, out.size());
        // t=0: 1 + .5*2 + .25*4 = 3, discount .125, next obs 3
        assertEquals(3f, out.get(0).reward());
        assertEquals(0.125f, out.get(0).discount());
        assertEquals(3f, first(out.get(0).observations().read(1)));
        // t=1: 2 + .5*4 + .25*8 = 6
        assertEquals(6f, out.get(1).reward());
        // t=2: 4 + .5*8 + .25*16 = 12, episode terminated within: discount 0
        assertEquals(12f, out.get(2).reward());
        assertEquals(0f, out.get(2).discount());
        // t=3: 8 + .5*16 = 16, terminated; t=4: 16
        assertEquals(16f, out.get(3).reward());
        assertEquals(16f, out.get(4).reward());
        assertEquals(0f, out.get(4).discount());
        assertEquals(1, out.get(1).action());
        assertEquals(3, out.get(0).policyVersion());
        assertEquals(5f, first(out.get(4).observations().read(1)));
    }

    @Test
    void truncationKeepsTheBootstrapDiscount() {
        NStepTransitionAdder adder = new NStepTransitionAdder(3, 0.9, Items.CARTPOLE.observationSpace(), "a");
        assertTrue(adder.add(obs(0), 0, 1, false, false, obs(1), 0, 0).isEmpty());
        List<Transition> out = adder.add(obs(1), 0, 1, false, true, obs(2), 0, 0);
        assertEquals(2, out.size());
        assertEquals(1.9f, out.get(0).reward(), 1e-6);
        assertEquals(0.81f, out.get(0).discount(), 1e-6);
        assertEquals(0.9f, out.get(1).discount(), 1e-6);
        // the next episode starts clean
        assertTrue(adder.add(obs(10), 0, 1, false, false, obs(11), 0, 0).isEmpty());
    }
}
