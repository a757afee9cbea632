package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.node.NodeSettings;
import org.junit.jupiter.api.Test;

/** {@code --discovery} and {@code --management-port}: what they set, and the errors that name the option. */
class NodeDiscoveryOptionsTest {
    @Test
    void discoveryImpliesManagementOnItsDefaultPortAndNoSeedNodes() {
        NodeSettings node = NodeSettings.parse("agent", "127.0.0.1", 0, null, "Kubernetes-API", null);
        assertTrue(node.bootstraps() && node.managed() && !node.startsCluster());
        assertEquals(NodeSettings.DEFAULT_MANAGEMENT_PORT, node.managementPort());
        Config c = node.pekkoConfig(ConfigFactory.load());
        assertEquals("kubernetes-api", c.getString(
                "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
        assertEquals("health/ready", c.getString("pekko.management.health-checks.readiness-path"));
        assertEquals("", c.getString("pekko.management.http.routes.cluster-management"),
                "the cluster routes stay on the admin port, behind its token");
        assertEquals("io.troupe.cluster.node.RoleReadiness$Check",
                c.getString("pekko.management.health-checks.readiness-checks.troupe-roles"));
        assertTrue(c.getStringList("pekko.cluster.seed-nodes").isEmpty());
    }

    @Test
    void withoutDiscoveryOrPortThereIsNoManagement() {
        NodeSettings node = NodeSettings.parse("agent", "127.0.0.1", 0, null);
        assertFalse(node.managed() || node.bootstraps());
        assertTrue(node.startsCluster());
        assertTrue(NodeSettings.parse("agent", "127.0.0.1", 0, null, null, 0).managed());
    }

    @Test
    void errorsNameTheOption() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeSettings.parse("agent", "127.0.0.1", 0,
                "127.0.0.1:2551", "config", null)).getMessage().contains("--discovery and --seed-nodes exclude"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeSettings.parse("agent", "127.0.0.1", 0,
                null, "dns", null)).getMessage().contains("--discovery: unknown method 'dns'; expected "
                + "kubernetes-api or config"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeSettings.parse("agent", "127.0.0.1", 0,
                null, null, 70000)).getMessage().contains("--management-port must be in 0..65535"));
    }
}
