package io.troupe.cluster;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A stand-in for the Kubernetes API server on loopback (a JDK {@link HttpsServer}): it answers
 * {@code GET /api/v1/namespaces/<ns>/pods?labelSelector=app=troupe} with a pod list of the pods added so far (each
 * at 127.0.0.1 with its container port named {@code management}), over HTTPS with a certificate for 127.0.0.1 made by
 * the JDK's keytool, and checks the service account's bearer token as the API server would. It writes the files a pod
 * reads (CA certificate, token) into a directory.
 */
final class KubernetesApiStandIn implements AutoCloseable {
    static final String NAMESPACE = "troupe-test";
    static final String TOKEN = "stand-in-service-account-token";

    private final HttpsServer server;
    private final Map<String, Integer> pods = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Path caCert;
    private final Path token;

    KubernetesApiStandIn(Path dir) throws Exception {
        Path store = dir.resolve("api-server.p12");
        caCert = dir.resolve("ca.crt");
        token = dir.resolve("token");
        Files.writeString(token, TOKEN);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(List.of(keytool, "-genkeypair", "-alias", "api", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=kubernetes", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit"));
        run(List.of(keytool, "-exportcert", "-rfc", "-alias", "api", "-keystore", store.toString(), "-storepass",
                "changeit", "-file", caCert.toString()));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.createContext("/api/v1/namespaces/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String query = String.valueOf(exchange.getRequestURI().getQuery());
            requests.add(path + "?" + query);
            int status;
            String body;
            if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                status = 401;
                body = "{\"kind\":\"Status\",\"code\":401}";
            } else if (!path.equals("/api/v1/namespaces/" + NAMESPACE + "/pods")
                    || !query.equals("labelSelector=app=troupe")) {
                status = 404;
                body = "{\"kind\":\"Status\",\"code\":404}";
            } else {
                status = 200;
                body = podList();
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + out);
        }
    }

    /** Lists pod {@code name} (Running, at 127.0.0.1, Pekko Management on {@code managementPort}) from now on. */
    void addPod(String name, int managementPort) {
        pods.put(name, managementPort);
    }

    private String podList() {
        StringBuilder items = new StringBuilder();
        pods.forEach((name, port) -> {
            if (items.length() > 0) {
                items.append(',');
            }
            items.append("{\"metadata\":{\"name\":\"").append(name).append("\",\"namespace\":\"").append(NAMESPACE)
                    .append("\",\"labels\":{\"app\":\"troupe\"}},\"spec\":{\"containers\":[{\"name\":\"troupe\","
                            + "\"ports\":[{\"name\":\"remoting\",\"containerPort\":2552},{\"name\":\"management\","
                            + "\"containerPort\":").append(port).append("}]}]},\"status\":{\"phase\":\"Running\","
                            + "\"podIP\":\"127.0.0.1\",\"containerStatuses\":[{\"name\":\"troupe\",\"state\":"
                            + "{\"running\":{}}}]}}");
        });
        return "{\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"items\":[" + items + "]}";
    }

    int port() {
        return server.getAddress().getPort();
    }

    Path caCert() {
        return caCert;
    }

    Path token() {
        return token;
    }

    /** The requests answered so far (path?query). */
    List<String> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
