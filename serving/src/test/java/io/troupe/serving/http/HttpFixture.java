package io.troupe.serving.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.PolicyRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** A policy server on a free loopback port and a real HTTP client (the JDK's) talking to it. */
final class HttpFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    /** An answer: status, body and the body as JSON (null when it is not JSON). */
    record Answer(int status, String body, JsonNode json, HttpResponse<String> raw) {
        String error() {
            return json == null ? body : json.path("error").asText();
        }
    }

    final ActorTestKit kit;
    final PolicyRegistry registry = new PolicyRegistry();
    final ServingMetrics metrics = new ServingMetrics();
    final ServingServer server;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    HttpFixture(String name, ServingSettings settings) {
        this(name, settings, ConfigFactory.load());
    }

    /** With the actor system's config {@code pekko} (Pekko HTTP's settings among it). */
    HttpFixture(String name, ServingSettings settings, Config pekko) {
        kit = ActorTestKit.create(name, pekko);
        server = ServingServer.start(kit.system(), settings.withAddress("127.0.0.1", 0), registry, metrics);
    }

    URI uri(String path) {
        return URI.create(server.url() + path);
    }

    Answer get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    Answer post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = JSON.readTree(r.body());
            } catch (IOException e) {
                // not JSON: Prometheus text or HTML
            }
            return new Answer(r.statusCode(), r.body(), json, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close();
        kit.shutdownTestKit();
    }
}
