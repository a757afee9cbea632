package io.troupe.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.http.AdminTimeouts;
import io.troupe.cluster.json.JsonCodec;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The CLI side of the admin HTTP API: GETs, and POSTs of {@link io.troupe.cluster.http.AdminApi} records with the
 * bearer token from {@code TROUPE_ADMIN_TOKEN}. A non-2xx answer becomes an {@link IllegalStateException} with the
 * server's message (the CLI prints it as one line). Over HTTPS the server's certificate must chain to the JVM's trust
 * store or to {@code caCert}.
 */
final class AdminClient {
    /** Where {@code --admin} points by default: a job started with {@code --admin-port 8558}. */
    static final String DEFAULT_URL = "http://127.0.0.1:8558";

    private final String base;
    private final String token;
    private final HttpClient http;
    private final Duration connectTimeout;
    private final Duration requestTimeout;

    /** {@code timeouts}: {@code troupe.admin.client.connect-timeout} and {@code request-timeout}. */
    AdminClient(String base, Map<String, String> environment, Path caCert, AdminTimeouts timeouts) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = environment.getOrDefault(AdminSettings.TOKEN_VARIABLE, "");
        this.connectTimeout = timeouts.clientConnect();
        this.requestTimeout = timeouts.clientRequest();
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout);
        if (caCert != null) {
            b.sslContext(trusting(caCert));
        }
        this.http = b.build();
    }

    /** A client context that trusts the certificates in {@code file} (PEM or DER). */
    static SSLContext trusting(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new IllegalArgumentException("--ca-cert: " + file + " holds no certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("--ca-cert: cannot read a certificate from " + file + ": "
                    + e.getMessage());
        }
    }

    JsonNode get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), path);
    }

    /** The answer to a GET read as a {@code type}. */
    <T> T get(String path, Class<T> type) {
        return JsonCodec.convert(get(path), type, "the answer to GET " + path);
    }

    /** POSTs {@code body} (a request record) as JSON. */
    JsonNode post(String path, Object body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JsonCodec.write(body)));
        if (!token.isBlank()) {
            b.header("Authorization", "Bearer " + token.trim());
        }
        return send(b, path);
    }

    private URI uri(String path) {
        try {
            return URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--admin: '" + base + "' is not a URL such as " + DEFAULT_URL);
        }
    }

    private JsonNode send(HttpRequest.Builder request, String path) {
        HttpResponse<String> r;
        try {
            r = http.send(request.timeout(requestTimeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("cannot reach the admin API at " + base + " (is a job running with "
                    + "--admin-port? point --admin at it)");
        } catch (SSLException e) {
            throw new IllegalStateException("admin API at " + base + ": TLS failed (" + e.getMessage() + "); is the "
                    + "server's certificate trusted? pass it with --ca-cert");
        } catch (HttpConnectTimeoutException e) {
            throw new IllegalStateException("cannot reach the admin API at " + base + " within " + connectTimeout
                    + " (troupe.admin.client.connect-timeout)");
        } catch (HttpTimeoutException e) {
            throw new IllegalStateException("admin API at " + base + ": no answer to " + path + " within "
                    + requestTimeout + " (troupe.admin.client.request-timeout)");
        } catch (IOException e) {
            throw new IllegalStateException("admin API at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        JsonNode body;
        try {
            body = JsonCodec.readTree(r.body(), "the answer");
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("admin API answered " + r.statusCode() + " to " + path + " with a body "
                    + "that is not JSON: " + r.body());
        }
        if (r.statusCode() / 100 != 2) {
            String message = body.path("error").isTextual() ? body.get("error").asText() : r.body();
            String hint = r.statusCode() == 401 && token.isBlank() ? " (set " + AdminSettings.TOKEN_VARIABLE + ")" : "";
            throw new IllegalStateException("admin API: " + r.statusCode() + ": " + message + hint);
        }
        return body;
    }
}
