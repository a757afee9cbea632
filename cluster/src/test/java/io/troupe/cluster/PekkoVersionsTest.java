package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/**
 * Pekko's rule that its modules share one version, checked here because the start-up check is off
 * ({@code pekko.fail-mixed-versions}): pekko-discovery 1.7.0 is not served to this build, so it is 1.2.1, and every
 * other Pekko module (the Pekko HTTP and Management families have versions of their own) must be pekko-actor's.
 */
class PekkoVersionsTest {
    @Test
    void everyPekkoModuleButDiscoveryHasPekkoActorsVersion() throws Exception {
        Map<String, String> versions = new TreeMap<>();
        Enumeration<URL> manifests = getClass().getClassLoader().getResources("META-INF/MANIFEST.MF");
        while (manifests.hasMoreElements()) {
            try (InputStream in = manifests.nextElement().openStream()) {
                Attributes a = new Manifest(in).getMainAttributes();
                String title = a.getValue("Implementation-Title");
                if ("org.apache.pekko".equals(a.getValue("Implementation-Vendor-Id")) && title != null
                        && title.startsWith("pekko-") && !title.startsWith("pekko-http")
                        && !title.startsWith("pekko-parsing") && !title.startsWith("pekko-management")
                        && !title.startsWith("pekko-discovery-")) {
                    versions.put(title, a.getValue("Implementation-Version"));
                }
            }
        }
        String pekko = versions.get("pekko-actor");
        assertEquals("1.2.1", versions.get("pekko-discovery"), versions.toString());
        assertTrue(versions.size() > 10, versions.toString());
        versions.forEach((module, version) -> {
            if (!module.equals("pekko-discovery")) {
                assertEquals(pekko, version, module + " beside pekko-actor " + pekko + ": " + versions);
            }
        });
    }
}
