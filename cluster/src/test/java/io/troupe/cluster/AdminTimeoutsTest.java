package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.actors.Agent;
import io.troupe.cluster.http.AdminApi.AgentView;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.AgentDirectory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;

/**
 * The admin API's timeouts are settings ({@code troupe.admin.ask-timeout} and the others in {@code reference.conf}),
 * read once and validated with the key named, and the agent directory waits for an agent as long as they say.
 */
class AdminTimeoutsTest {

    private static Config with(String key, Object value) {
        return ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value))
                .withFallback(ConfigFactory.load());
    }

    private static String refusal(Config config) {
        return assertThrows(IllegalArgumentException.class, () -> AdminSettings.fromConfig(config, Map.of()))
                .getMessage();
    }

    @Test
    void timeoutsAndDryRunLimitsAreReadOnceAndValidated() {
        AdminSettings defaults = AdminSettings.fromConfig(ConfigFactory.load(), Map.of());
        assertEquals(Duration.ofSeconds(3), defaults.timeouts().ask());
        assertEquals(Duration.ofSeconds(60), defaults.timeouts().clientRequest());
        assertEquals(100_000, defaults.maxDryRunSteps());
        assertEquals(Duration.ofMillis(250), defaults.javaCallBudget());
        assertEquals(Duration.ofMillis(250), AdminSettings.fromConfig(with("troupe.admin.ask-timeout", "250ms"),
                Map.of()).timeouts().ask());
        assertEquals(Duration.ofMillis(40), AdminSettings.fromConfig(with("troupe.reward.java-call-budget", "40ms"),
                Map.of()).javaCallBudget());
        String[][] bad = {
                {"troupe.admin.ask-timeout", "0s"},
                {"troupe.admin.stored-ids-timeout", "-1s"},
                {"troupe.admin.client.request-timeout", "0s"},
                {"troupe.admin.max-dry-run-steps", "2000000"},
                {"troupe.admin.dry-run-steps", "100001"},
                {"troupe.admin.max-pending-dry-runs", "0"},
        };
        for (String[] b : bad) {
            String message = refusal(with(b[0], b[1]));
            assertTrue(message.contains(b[0]), b[0] + " = " + b[1] + ": " + message);
        }
        // the short constructors of tests and tools take the same defaults
        AdminSettings shortForm = new AdminSettings(0, "127.0.0.1", Optional.empty(), 100,
                Duration.ofSeconds(3));
        assertEquals(defaults.timeouts(), shortForm.timeouts());
        assertEquals(defaults.maxDryRunSteps(), shortForm.maxDryRunSteps());
    }

    /** An agent that never answers is listed as not answering after the configured ask timeout, not a fixed 3 s. */
    @Test
    void theAgentDirectoryWaitsAsLongAsConfigured() throws Exception {
        Config node = ConfigFactory.empty()
                .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
                .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef("127.0.0.1"))
                .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(0))
                .withValue("pekko.cluster.jmx.multi-mbeans-in-same-jvm", ConfigValueFactory.fromAnyRef(true))
                .withValue("pekko.loglevel", ConfigValueFactory.fromAnyRef("WARNING"))
                .withFallback(ConfigFactory.load()).resolve();
        ActorTestKit kit = ActorTestKit.create("admin-timeouts", node);
        try {
            Cluster cluster = Cluster.get(kit.system());
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            ActorRef<Agent.Command> silent = kit.spawn(Behaviors.ignore(), "silent-agent");
            kit.system().receptionist().tell(Receptionist.register(Agent.SERVICE_KEY, silent));
            // the cluster receptionist lists a registration once its replicated state has it
            TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
            kit.system().receptionist().tell(Receptionist.subscribe(Agent.SERVICE_KEY, listing.getRef()));
            listing.fishForMessage(Duration.ofSeconds(30), l -> l.getServiceInstances(Agent.SERVICE_KEY)
                    .contains(silent) ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());

            // 3 s (the old literal) would miss the 2.5 s wait below; 200 ms leaves it a wide margin
            List<AgentView> agents = new AgentDirectory(kit.system(), Duration.ofMillis(200)).list()
                    .toCompletableFuture().get(2500, TimeUnit.MILLISECONDS);
            assertEquals(1, agents.size(), agents.toString());
            assertEquals(AgentView.NOT_ANSWERING, agents.get(0).state(), agents.toString());
        } finally {
            kit.shutdownTestKit();
        }
    }
}
