package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.config.JobConfig;
import io.troupe.serving.http.ServingServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Pekko settings of a process that only serves sit under the user's: they replace Pekko's defaults, and a user's
 * key=value still wins. ({@code ServeBenchTest} serves real traffic with them.)
 */
class ServeOnlyPekkoTest {
    private static final String WORKERS = "pekko.io.tcp.worker-dispatcher";
    private static final String MIN_THREADS = "pekko.actor.default-dispatcher.fork-join-executor.parallelism-min";

    @Test
    void aServeOnlyProcessRunsItsTcpConnectionsOnTheDefaultDispatcherWithAThreadPerCore() {
        Config plain = JobConfig.load(null, List.of());
        assertEquals("pekko.actor.internal-dispatcher", plain.getString(WORKERS), "Pekko's own default");
        assertEquals(8, plain.getInt(MIN_THREADS), "Pekko's own default");
        Config serving = JobConfig.load(null, List.of(), ConfigFactory.empty(), ServingServer.SERVE_ONLY_PEKKO);
        assertEquals("pekko.actor.default-dispatcher", serving.getString(WORKERS));
        assertEquals(2, serving.getInt(MIN_THREADS));
    }

    @Test
    void theUsersSettingsWinOverTheServeOnlyOnes() {
        Config config = JobConfig.load(null, List.of(MIN_THREADS + "=8", WORKERS + "=pekko.actor.internal-dispatcher"),
                ConfigFactory.empty(), ServingServer.SERVE_ONLY_PEKKO);
        assertEquals(8, config.getInt(MIN_THREADS));
        assertEquals("pekko.actor.internal-dispatcher", config.getString(WORKERS));
    }
}
