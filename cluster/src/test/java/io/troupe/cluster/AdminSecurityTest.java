package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.cli.TroupeCli;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.AdminTls;
import io.troupe.cluster.http.MutatingRoute;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.cluster.run.Algorithm;
import io.troupe.cluster.run.JobSnapshot;
import io.troupe.cluster.run.MetricsLine;
import io.troupe.cluster.run.RunMode;
import io.troupe.core.http.HostCheck;
import io.troupe.environments.EnvRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The admin port's defences on a real node and real ports: every route of the {@link MutatingRoute} table refuses a
 * missing and a wrong token (walked from the table, so a new route is covered the day it is declared); a mutation the
 * table does not declare never reaches Pekko Management; requests naming another host are refused (DNS rebinding);
 * HTTPS from a PKCS12 key store made here with keytool; and no answer carries the token or the TLS password.
 */
class AdminSecurityTest {
    private static final String TOKEN = "security-test-token-0123456789";
    private static final String TLS_PASSWORD = "tls-password-9876543210";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ActorSystem<Void> system;
    private static AdminServer server;
    private static String self;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Config config = EmbeddedNode.config("", ConfigFactory.load());
        system = EmbeddedNode.start("admin-security", config);
        server = AdminServer.start(system, new AdminSettings(0, "127.0.0.1", Optional.of(TOKEN), 100,
                Duration.ofSeconds(3)), EnvRegistry.defaults(), AdminSecurityTest::jobNamingTheSecrets);
        self = Cluster.get(system).selfMember().address().toString();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        EmbeddedNode.stop(system);
    }

    /** A job whose reported figures happen to contain both secrets (a run id is free text). */
    private static JobSnapshot jobNamingTheSecrets() {
        return new JobSnapshot("run-" + TOKEN + "-" + TLS_PASSWORD, "CartPole-v1", Algorithm.PPO, RunMode.CLUSTER,
                null, MetricsLine.start());
    }

    /** A request that would change something if it got through: the route's own kind of body. */
    private static HttpRequest.Builder request(String base, MutatingRoute route) {
        String encoded = URLEncoder.encode(self, StandardCharsets.UTF_8);
        String path = route.template().replace("{env}", "CartPole-v1").replace("{address}", encoded);
        String body = switch (route) {
            case AGENTS_PAUSE, AGENTS_RESUME, REWARD_ROLLBACK -> "{}";
            case AGENTS_SCALE -> "{\"count\": 0}";
            case CLUSTER_JOIN, CLUSTER_LEAVE, CLUSTER_DOWN -> "{\"address\": \"" + self + "\"}";
            case REWARD_SUBMIT, REWARD_TEST -> "{\"expr\": \"2\"}";
            case MANAGEMENT_JOIN -> "address=" + encoded;
            case MANAGEMENT_MEMBER_OPERATION -> "operation=Down";
            case MANAGEMENT_MEMBER_LEAVE -> "";
            case MANAGEMENT_CLUSTER_OPERATION -> "operation=prepare-for-full-shutdown";
        };
        String type = route.owner() == MutatingRoute.Owner.TROUPE ? "application/json"
                : "application/x-www-form-urlencoded";
        return HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", type)
                .method(route.method(), HttpRequest.BodyPublishers.ofString(body));
    }

    private static long activeReward() throws Exception {
        return JsonCodec.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(server.url()
                + "/troupe/rewards/CartPole-v1")).build(), HttpResponse.BodyHandlers.ofString()).body(), "history")
                .get("active").asLong();
    }

    @Test
    void everyMutatingRouteRefusesAMissingAndAWrongToken() throws Exception {
        long active = activeReward();
        assertEquals(13, MutatingRoute.values().length, "the table: Troupe's 9 changes and Pekko Management's 4");
        for (MutatingRoute route : MutatingRoute.values()) {
            for (String token : new String[] {null, "wrong-token-0123456789"}) {
                HttpRequest.Builder b = request(server.url(), route);
                if (token != null) {
                    b.header("Authorization", "Bearer " + token);
                }
                HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(401, r.statusCode(), route + " with token " + token + ": " + r.body());
                assertTrue(r.body().contains(token == null ? "Authorization: Bearer" : "not valid"), r.body());
                assertEquals("Bearer realm=\"troupe\"", r.headers().firstValue("WWW-Authenticate").orElse(""),
                        route.toString());
            }
        }
        assertEquals(MemberStatus.up(), Cluster.get(system).selfMember().status(), "the node was neither downed nor "
                + "left");
        assertEquals(1, Cluster.get(system).state().members().size());
        assertEquals(active, activeReward(), "no reward was activated or rolled back");
    }

    @Test
    void aMutationTheTableDoesNotDeclareNeverReachesPekkoManagement() throws Exception {
        String encoded = URLEncoder.encode(self, StandardCharsets.UTF_8);
        for (String method : List.of("PATCH", "POST", "DELETE")) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/cluster/members/"
                    + encoded + "/extra")).header("Authorization", "Bearer " + TOKEN)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .method(method, HttpRequest.BodyPublishers.ofString("operation=Down")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(r.statusCode() == 404 || r.statusCode() == 405, method + ": " + r.statusCode() + " " + r.body());
        }
        HttpResponse<String> shards = HTTP.send(HttpRequest.newBuilder(URI.create(server.url()
                + "/cluster/shards/x")).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(shards.statusCode() == 404 || shards.statusCode() == 405, shards.body());
        assertEquals(MemberStatus.up(), Cluster.get(system).selfMember().status());
    }

    /** One raw HTTP/1.1 request with the given Host header; returns the status line and the body. */
    private static String raw(int port, String host) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /troupe/status HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void requestsNamingAnotherHostAreRefused() throws Exception {
        int port = server.port();
        String rebound = raw(port, "evil.example:" + port);
        assertTrue(rebound.startsWith("HTTP/1.1 421"), rebound);
        assertTrue(rebound.contains("Host 'evil.example:" + port + "' is not this admin API's address")
                && rebound.contains("DNS rebinding"), rebound);
        assertTrue(raw(port, "127.0.0.1:" + (port == 65535 ? 1 : port + 1)).startsWith("HTTP/1.1 421"),
                "another port is another origin");
        assertTrue(raw(port, "127.0.0.1:" + port).startsWith("HTTP/1.1 200"));
        assertTrue(raw(port, "localhost:" + port).startsWith("HTTP/1.1 200"), "localhost names a loopback bind");
        assertTrue(raw(port, "LOCALHOST").startsWith("HTTP/1.1 200"), "no port, any case");
    }

    @Test
    void hostCheckRules() {
        HostCheck loopback = new HostCheck("127.0.0.1", 8558, List.of(), "this admin API",
                "troupe.admin.allowed-hosts");
        assertEquals(null, loopback.refusal("127.0.0.1:8558"));
        assertEquals(null, loopback.refusal("localhost:8558"));
        assertTrue(loopback.refusal(null).contains("no Host header"));
        assertTrue(loopback.refusal("attacker.example").contains("expected 127.0.0.1:8558 or localhost:8558"));
        assertTrue(loopback.refusal("10.1.2.3:8558") != null, "an IP literal other than the bound one");
        HostCheck wildcard = new HostCheck("0.0.0.0", 8558, List.of("trainer.internal"), "this admin API",
                "troupe.admin.allowed-hosts");
        assertEquals(null, wildcard.refusal("10.1.2.3:8558"), "a wildcard bind answers its addresses");
        assertEquals(null, wildcard.refusal("[fe80::1]:8558"));
        assertEquals(null, wildcard.refusal("trainer.internal:8558"), "a configured name");
        assertTrue(wildcard.refusal("evil.example:8558") != null, "names can be rebound; addresses cannot");
        assertTrue(wildcard.refusal("10.1.2.3:9999") != null);
    }

    @Test
    void answersNeverCarryTheTokenOrTheTlsPassword() throws Exception {
        for (String path : List.of("/troupe/status", "/troupe/metrics", "/troupe/agents", "/troupe/cluster/members",
                "/troupe/rewards/CartPole-v1", "/troupe/nothing-here")) {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertFalse(body.contains(TOKEN), path + ": " + body);
        }
        String status = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "/troupe/status")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(status.contains("\"run_id\":\"run-<redacted>-"), status);
        AdminSettings settings = new AdminSettings(0, "127.0.0.1", Optional.of(TOKEN), 100, Duration.ofSeconds(3),
                new AdminTls(true, Path.of("admin.p12"), "PKCS12", TLS_PASSWORD), List.of(), false);
        assertFalse(settings.toString().contains(TOKEN) || settings.toString().contains(TLS_PASSWORD),
                settings.toString());
        assertEquals("a <redacted> b <redacted>", settings.redact("a " + TOKEN + " b " + TLS_PASSWORD));
    }

    @Test
    void settingsTakeSecretsFromTheEnvironmentAndNameWhatIsMissing() {
        Config tls = ConfigFactory.parseString("troupe.admin { port = 0, token = \"from-the-config-file-0123\", "
                + "tls { enabled = on, key-store = \"admin.p12\", key-store-password = \"in-the-file\" } }")
                .withFallback(ConfigFactory.load());
        AdminSettings fromEnv = AdminSettings.fromConfig(tls, Map.of(AdminSettings.TOKEN_VARIABLE, TOKEN,
                AdminTls.PASSWORD_VARIABLE, TLS_PASSWORD));
        assertEquals(Optional.of(TOKEN), fromEnv.token());
        assertEquals(TLS_PASSWORD, fromEnv.tls().keyStorePassword());
        assertEquals(List.of(TOKEN, TLS_PASSWORD), fromEnv.secrets());
        assertEquals("in-the-file", AdminSettings.fromConfig(tls, Map.of()).tls().keyStorePassword());
        for (String key : AdminSettings.SECRET_KEYS) {
            assertTrue(tls.hasPath(key), key + " is a key of troupe.admin");
        }
        Config noStore = ConfigFactory.parseString("troupe.admin.tls.enabled = on").withFallback(ConfigFactory.load());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdminSettings.fromConfig(noStore, Map.of()));
        assertTrue(e.getMessage().contains("troupe.admin.tls.key-store"), e.getMessage());
        Config missing = ConfigFactory.parseString("troupe.admin.tls { enabled = on, key-store = \"nope.p12\" }")
                .withFallback(ConfigFactory.load());
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> AdminSettings.fromConfig(missing, Map.of()).tls().serverContext());
        assertTrue(absent.getMessage().startsWith("troupe.admin.tls.key-store: no file ")
                && absent.getMessage().endsWith("nope.p12"), absent.getMessage());
    }

    @Test
    void aNonLoopbackAddressNeedsTls() {
        AdminSettings plain = new AdminSettings(0, "0.0.0.0", Optional.of(TOKEN), 100, Duration.ofSeconds(3),
                AdminTls.DISABLED, List.of(), false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AdminServer.start(system, plain, EnvRegistry.defaults(), () -> JobSnapshot.node("test")));
        assertTrue(e.getMessage().contains("enable troupe.admin.tls") && e.getMessage().contains("insecure"),
                e.getMessage());
    }

    /** keytool from this JDK, passwords through the environment (never on a command line). */
    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TEST_STORE_PASSWORD", TLS_PASSWORD);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + output);
    }

    @Test
    void httpsWithAPkcs12KeyStore() throws Exception {
        Path store = tmp.resolve("admin.p12");
        keytool("-genkeypair", "-alias", "admin", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass:env", "TEST_STORE_PASSWORD");
        Path cert = tmp.resolve("admin.pem");
        keytool("-exportcert", "-rfc", "-alias", "admin", "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass:env", "TEST_STORE_PASSWORD", "-file", cert.toString());
        AdminSettings settings = new AdminSettings(0, "127.0.0.1", Optional.of(TOKEN), 100, Duration.ofSeconds(3),
                new AdminTls(true, store, "PKCS12", TLS_PASSWORD), List.of(), false);
        try (AdminServer https = AdminServer.start(system, settings, EnvRegistry.defaults(),
                AdminSecurityTest::jobNamingTheSecrets)) {
            assertTrue(https.url().startsWith("https://127.0.0.1:"), https.url());
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                trusted.load(in, TLS_PASSWORD.toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(context).build();
            HttpResponse<String> status = client.send(HttpRequest.newBuilder(URI.create(https.url()
                    + "/troupe/status")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, status.statusCode(), status.body());
            JsonNode body = JsonCodec.readTree(status.body(), "status");
            assertEquals("CartPole-v1", body.get("env").asText());
            assertFalse(status.body().contains(TLS_PASSWORD) || status.body().contains(TOKEN), status.body());
            HttpResponse<String> denied = client.send(request(https.url(), MutatingRoute.AGENTS_SCALE).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, denied.statusCode(), "HTTPS keeps the token check");
            assertThrows(IOException.class, () -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + https.port() + "/troupe/status")).build(), HttpResponse.BodyHandlers.ofString()),
                    "plain HTTP on the TLS port");
            // the CLI trusts the certificate it is given
            PrintStream oldOut = System.out;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            StringWriter err = new StringWriter();
            int code;
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                CommandLine cli = TroupeCli.commandLine();
                cli.setErr(new PrintWriter(err, true));
                code = cli.execute("cluster", "status", "--admin", https.url(), "--ca-cert", cert.toString());
            } finally {
                System.setOut(oldOut);
            }
            assertEquals(0, code, err.toString());
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("reachable"), out.toString());
        }
        AdminSettings wrongPassword = new AdminSettings(0, "127.0.0.1", Optional.of(TOKEN), 100,
                Duration.ofSeconds(3), new AdminTls(true, store, "PKCS12", "not-the-password"), List.of(), false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdminServer.start(system,
                wrongPassword, EnvRegistry.defaults(), () -> JobSnapshot.node("test")));
        assertTrue(e.getMessage().contains("troupe.admin.tls.key-store") && !e.getMessage().contains(TLS_PASSWORD),
                e.getMessage());
    }
}
