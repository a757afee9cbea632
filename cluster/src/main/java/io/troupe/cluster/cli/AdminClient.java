package io.troupe.cluster.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.util.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The CLI side of the admin HTTP API: GETs, and POSTs with the bearer token from {@code TROUPE_ADMIN_TOKEN}. A non-2xx
 * answer becomes an {@link IllegalStateException} with the server's message (the CLI prints it as one line).
 */
final class AdminClient {
    /** Where {@code --admin} points by default: a job started with {@code --admin-port 8558}. */
    static final String DEFAULT_URL = "http://127.0.0.1:8558";

    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    AdminClient(String base, Map<String, String> environment) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = environment.getOrDefault(AdminSettings.TOKEN_VARIABLE, "");
    }

    JsonElement get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), path);
    }

    JsonElement post(String path, Map<String, Object> body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
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

    private JsonElement send(HttpRequest.Builder request, String path) {
        HttpResponse<String> r;
        try {
            r = http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("cannot reach the admin API at " + base + " (is a job running with "
                    + "--admin-port? point --admin at it)");
        } catch (IOException e) {
            throw new IllegalStateException("admin API at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        JsonElement body;
        try {
            body = JsonParser.parseString(r.body());
        } catch (RuntimeException e) {
            throw new IllegalStateException("admin API answered " + r.statusCode() + " to " + path + " with a body "
                    + "that is not JSON: " + r.body());
        }
        if (r.statusCode() / 100 != 2) {
            String message = body.isJsonObject() && body.getAsJsonObject().has("error")
                    ? body.getAsJsonObject().get("error").getAsString() : r.body();
            String hint = r.statusCode() == 401 && token.isBlank() ? " (set " + AdminSettings.TOKEN_VARIABLE + ")" : "";
            throw new IllegalStateException("admin API: " + r.statusCode() + ": " + message + hint);
        }
        return body;
    }
}
