package io.troupe.serving.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.serving.ServingSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The policy service bound to loopback answers only requests that name it in their Host header (DNS rebinding: a page
 * on evil.example whose name now resolves to 127.0.0.1 sends {@code Host: evil.example}): 421 with a message naming
 * the Host, what is expected and the allow-list's key; the loopback names, the bound port and the configured further
 * names pass. A non-loopback bind has no check.
 */
class HostCheckHttpTest {
    private static HttpFixture http;

    @BeforeAll
    static void start() {
        http = new HttpFixture("serving-host-check", ServingSettings.fromConfig(ConfigFactory.parseString(
                "troupe.serving.allowed-hosts = [policy.internal]").withFallback(ConfigFactory.load()), Map.of()));
    }

    @AfterAll
    static void stop() {
        http.close();
    }

    /** One raw request (the JDK's client will not send a Host header of the caller's choosing). */
    private static String raw(String requestLines) throws IOException {
        try (Socket s = new Socket("127.0.0.1", http.server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write((requestLines + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String withHost(String host) throws IOException {
        return raw("GET /v1/policies HTTP/1.1\r\nHost: " + host + "\r\n");
    }

    @Test
    void aRequestNamingAnotherSiteIsRefusedWith421() throws Exception {
        int port = http.server.port();
        for (String host : new String[] {"evil.example:" + port, "evil.example", "policy.internal:" + (port + 1),
                "10.1.2.3:" + port}) {
            String answer = withHost(host);
            assertTrue(answer.startsWith("HTTP/1.1 421"), host + ": " + answer);
            assertTrue(answer.contains("Host '" + host + "' is not this policy service's address; expected 127.0.0.1:"
                    + port + " or localhost:" + port) && answer.contains("troupe.serving.allowed-hosts"), answer);
        }
        String none = raw("GET /v1/policies HTTP/1.0\r\n"); // Pekko HTTP itself refuses a request without a Host
        assertTrue(none.startsWith("HTTP/1.1 400") || none.startsWith("HTTP/1.1 421"), none);
        // refused before any route: nothing is loaded through a rebound name either
        String load = raw("POST /v1/policies HTTP/1.1\r\nHost: evil.example:" + port
                + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        assertTrue(load.startsWith("HTTP/1.1 421"), load);
    }

    @Test
    void theLoopbackNamesTheBoundPortAndTheAllowedNamesPass() throws Exception {
        int port = http.server.port();
        for (String host : new String[] {"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST",
                "127.0.0.1", "policy.internal:" + port}) {
            assertTrue(withHost(host).startsWith("HTTP/1.1 200"), host);
        }
        // the JDK's client, as users call it
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/alive"))
                .GET()).status());
        assertEquals(200, http.get("/v1/policies").status());
    }

    @Test
    void onlyALoopbackBindIsChecked() {
        ServingSettings settings = ServingSettings.fromConfig(ConfigFactory.load(), Map.of());
        assertTrue(settings.withAddress("127.0.0.1", 0).hostCheck(8080).isPresent());
        assertTrue(settings.withAddress("localhost", 0).hostCheck(8080).isPresent());
        assertEquals(Optional.empty(), settings.withAddress("0.0.0.0", 0).hostCheck(8080));
    }
}
