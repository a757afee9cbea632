package io.troupe.cluster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.actors.AgentSettings;
import io.troupe.core.EnvSpec;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.reward.RewardShaper;
import io.troupe.learners.model.ModelConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code troupe bench acting}'s alternation in miniature: while the ceiling is measured the agents are paused and take
 * no step (the two figures never share the cores), and once resumed they act again. No timings.
 */
class ActingBenchTest {
    @TempDir
    Path work;

    @Test
    void pausedAgentsTakeNoStepWhileTheCeilingRunsAndActAgainWhenResumed() throws Exception {
        EnvRegistry registry = EnvRegistry.defaults();
        EnvSpec spec = registry.spec("CartPole-v1");
        ModelConfig model = ModelConfig.fromConfig(
                ConfigFactory.parseString("kind = mlp").withFallback(ConfigFactory.load().getConfig("troupe.model")));
        try (ActingBench.Ceiling ceiling = new ActingBench.Ceiling(registry, spec, model, 2, 1);
             ActingBench.Pipeline p = ActingBench.Pipeline.start(registry, spec, model, 1, 2,
                     AgentSettings.ACTING_SLICE, false, work,
                     RewardShaper.SwitchAt.EPISODE)) {
            TestProbe<Object> probe = TestProbe.create(p.system);
            probe.awaitAssert(Duration.ofSeconds(60), () -> {
                assertTrue(steps(p) > 0, "the agent acts");
                return null;
            });
            p.setPaused(true);
            long paused = steps(p);
            double obsPerS = ceiling.measure(0.3);
            assertEquals(paused, steps(p), "a paused agent took steps while the ceiling was measured");
            assertTrue(obsPerS > 0, "ceiling " + obsPerS);
            p.setPaused(false);
            probe.awaitAssert(Duration.ofSeconds(60), () -> {
                assertTrue(steps(p) > paused, "the resumed agent acts again");
                return null;
            });
        }
    }

    private static long steps(ActingBench.Pipeline p) throws Exception {
        return ActingBench.totalSteps(p.system, p.agents);
    }
}
