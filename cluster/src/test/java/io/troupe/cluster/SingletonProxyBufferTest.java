package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.node.EmbeddedNode;
import org.junit.jupiter.api.Test;

/**
 * The singleton proxies' buffer is Pekko's maximum on every Troupe node: agents report each episode to the run-metrics
 * singleton through its proxy, and with Pekko's default of 1,000 an IMPALA job's first second of episodes overflowed
 * it and dropped the driver's request for the run's figures (runs reported nothing for 10 s). Checked on the loaded
 * configuration, so cluster's reference.conf must win over Pekko's own on the class path.
 */
class SingletonProxyBufferTest {
    @Test
    void everyNodeBuffersTenThousandMessagesForASingletonNotFoundYet() {
        assertEquals(10_000, ConfigFactory.load().getInt("pekko.cluster.singleton-proxy.buffer-size"));
        assertEquals(10_000, EmbeddedNode.config("", ConfigFactory.load())
                .getInt("pekko.cluster.singleton-proxy.buffer-size"));
    }
}
