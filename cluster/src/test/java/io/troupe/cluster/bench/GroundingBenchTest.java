package io.troupe.cluster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.environments.Env;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.EnvWrapper;
import io.troupe.environments.gotoobject.GoToRoom;
import io.troupe.learners.model.Ablation;
import io.troupe.learners.model.ModelConfig;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code bench grounding}: the labelled observations are the env's (every mask is the env's progress moves, none
 * empty), a short run gives one curve per network with its loss falling, and an env that is not a GoToRoom level is
 * refused naming the key.
 */
class GroundingBenchTest {
    private static final EnvRegistry REGISTRY = EnvRegistry.defaults();

    @Test
    void everyObservationIsLabelledWithTheMovesTowardItsGoal() {
        Env env = REGISTRY.make(GoToRoom.HARD_ID);
        GoToRoom room = (GoToRoom) ((EnvWrapper) env).unwrapped();
        GroundingBench.Labelled data = GroundingBench.sample(room, 200, new SplittableRandom(3));
        assertEquals(200, data.observations().rows());
        for (int m : data.masks()) {
            assertTrue(m > 0 && m < 16, "a non-empty mask of the four moves: " + m);
        }
        // the last row is the env's current state: its mask is the env's own
        assertEquals(room.progressMoves(), data.masks()[199]);
        env.close();
    }

    @Test
    void aShortRunGivesACurvePerNetworkAndTheLossFalls() {
        ModelConfig model = ModelConfig.transformer(16, 2, 1, 32, 6, 1);
        GroundingBench.Result r = GroundingBench.run(REGISTRY, GoToRoom.HARD_ID, ConfigFactory.empty(), model, 1,
                List.of(Ablation.NONE, Ablation.TEXT), new GroundingBench.Plan(60, 32, 256, 64, 20));
        assertEquals(2, r.curves().size());
        assertTrue(r.randomMoveAccuracy() > 0.25 && r.randomMoveAccuracy() < 0.5, "chance: one or two moves of "
                + "four are right: " + r.randomMoveAccuracy());
        for (GroundingBench.Curve c : r.curves()) {
            assertEquals(List.of(20, 40, 60), c.steps());
            for (double a : c.testAccuracy()) {
                assertTrue(a >= 0 && a <= 1, "accuracy " + a);
            }
            assertTrue(c.loss().get(2) < c.loss().get(0), c.ablate() + ": the loss falls " + c.loss());
        }
        assertEquals("text", r.curves().get(1).ablate());
        assertTrue(r.curves().get(1).model().endsWith("-ablate-text"), r.curves().get(1).model());
    }

    @Test
    void anEnvThatIsNotAGoToRoomLevelIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GroundingBench.run(REGISTRY,
                "CartPole-v1", ConfigFactory.empty(), ModelConfig.mlp(64, 64), 1, List.of(Ablation.NONE),
                new GroundingBench.Plan(1, 1, 1, 1, 1)));
        assertTrue(e.getMessage().contains("troupe.train.env = CartPole-v1") && e.getMessage().contains("GoToRoom"),
                e.getMessage());
        IllegalArgumentException plan = assertThrows(IllegalArgumentException.class,
                () -> new GroundingBench.Plan(0, 1, 1, 1, 1));
        assertTrue(plan.getMessage().contains("--steps"), plan.getMessage());
    }
}
