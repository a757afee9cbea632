package io.troupe.serving.http;

import java.util.List;
import java.util.Optional;

/**
 * Every route of the policy service: the table the OpenAPI document, the metrics' route label and the token checks
 * agree on ({@code OpenApiTest} checks the document against it both ways, and that each route answers).
 */
public enum ServingRoute {
    LIST(Access.OPEN, "GET", "/v1/policies"),
    LOAD(Access.ADMIN, "POST", "/v1/policies"),
    INFO(Access.OPEN, "GET", "/v1/policies/{name}"),
    UNLOAD(Access.ADMIN, "DELETE", "/v1/policies/{name}"),
    ACT(Access.INFERENCE, "POST", "/v1/policies/{name}/act"),
    ACT_BATCH(Access.INFERENCE, "POST", "/v1/policies/{name}/act-batch"),
    FEEDBACK(Access.INFERENCE, "POST", "/v1/policies/{name}/feedback"),
    DRIFT(Access.OPEN, "GET", "/v1/policies/{name}/drift"),
    PIN(Access.ADMIN, "PUT", "/v1/policies/{name}/pin"),
    UNPIN(Access.ADMIN, "DELETE", "/v1/policies/{name}/pin"),
    READY(Access.OPEN, "GET", "/health/ready"),
    ALIVE(Access.OPEN, "GET", "/health/alive"),
    METRICS(Access.OPEN, "GET", "/metrics"),
    OPENAPI(Access.OPEN, "GET", "/v1/openapi.json"),
    DOCS(Access.OPEN, "GET", "/v1/docs"),
    /** The monitoring dashboard's page. */
    DASHBOARD(Access.OPEN, "GET", "/"),
    /** Its script, style sheet and uPlot ({@code /dashboard/...}); {@code /dashboard} itself redirects to {@code /}. */
    DASHBOARD_FILES(Access.OPEN, "GET", "/dashboard");

    /** Which token a route needs. */
    public enum Access {
        /** None. */
        OPEN,
        /** The serving token, when one is configured ({@code TROUPE_SERVE_TOKEN}). */
        INFERENCE,
        /** The admin token, always ({@code TROUPE_ADMIN_TOKEN}). */
        ADMIN
    }

    private final Access access;
    private final String method;
    private final String template;
    private final List<String> segments;

    ServingRoute(Access access, String method, String template) {
        this.access = access;
        this.method = method;
        this.template = template;
        this.segments = List.of(template.substring(1).split("/"));
    }

    public Access access() {
        return access;
    }

    public String method() {
        return method;
    }

    public String template() {
        return template;
    }

    /** The route whose template matches {@code path} (any method; {@code /v1/docs/...} counts as the docs, {@code /dashboard/...} as the dashboard's files). */
    public static Optional<String> templateOf(String path) {
        if (path.equals("/v1/docs") || path.startsWith("/v1/docs/")) {
            return Optional.of(DOCS.template);
        }
        if (path.equals("/dashboard") || path.startsWith("/dashboard/")) {
            return Optional.of(DASHBOARD_FILES.template);
        }
        String trimmed = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String[] parts = trimmed.substring(Math.min(1, trimmed.length())).split("/", -1);
        for (ServingRoute r : values()) {
            if (r.matches(parts)) {
                return Optional.of(r.template);
            }
        }
        return Optional.empty();
    }

    private boolean matches(String[] parts) {
        if (parts.length != segments.size()) {
            return false;
        }
        for (int i = 0; i < parts.length; i++) {
            String s = segments.get(i);
            boolean placeholder = s.startsWith("{");
            if (placeholder ? parts[i].isEmpty() : !s.equals(parts[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return method + " " + template;
    }
}
