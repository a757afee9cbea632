package io.troupe.cluster.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every route of the admin port that changes something: Troupe's own and Pekko Management's cluster routes served
 * beside them. This table is the only way a mutating request reaches a handler: {@link AdminRoutes} builds its
 * mutating routes from it (an exhaustive {@code switch} gives each entry its handler) and puts the bearer-token check
 * in front of every one; a non-GET request that matches no entry is refused before it reaches Pekko Management.
 * {@code AdminSecurityTest} walks the same table and expects 401 from each entry without a token and with a wrong one.
 *
 * <p>Templates are paths of literal segments and {@code {name}} placeholders, one segment each.
 */
public enum MutatingRoute {
    AGENTS_PAUSE(Owner.TROUPE, "POST", "/troupe/agents/pause"),
    AGENTS_RESUME(Owner.TROUPE, "POST", "/troupe/agents/resume"),
    AGENTS_SCALE(Owner.TROUPE, "POST", "/troupe/agents/scale"),
    CLUSTER_JOIN(Owner.TROUPE, "POST", "/troupe/cluster/join"),
    CLUSTER_LEAVE(Owner.TROUPE, "POST", "/troupe/cluster/leave"),
    CLUSTER_DOWN(Owner.TROUPE, "POST", "/troupe/cluster/down"),
    REWARD_SUBMIT(Owner.TROUPE, "POST", "/troupe/rewards/{env}"),
    REWARD_ROLLBACK(Owner.TROUPE, "POST", "/troupe/rewards/{env}/rollback"),
    REWARD_TEST(Owner.TROUPE, "POST", "/troupe/rewards/{env}/test"),
    /** Join: form field {@code address}. */
    MANAGEMENT_JOIN(Owner.PEKKO_MANAGEMENT, "POST", "/cluster/members"),
    /** Leave or Down: form field {@code operation}. */
    MANAGEMENT_MEMBER_OPERATION(Owner.PEKKO_MANAGEMENT, "PUT", "/cluster/members/{address}"),
    /** Leave. */
    MANAGEMENT_MEMBER_LEAVE(Owner.PEKKO_MANAGEMENT, "DELETE", "/cluster/members/{address}"),
    /** Prepare for a full cluster shutdown: form field {@code operation}. */
    MANAGEMENT_CLUSTER_OPERATION(Owner.PEKKO_MANAGEMENT, "PUT", "/cluster");

    /** Whose handler serves the route. */
    public enum Owner {
        TROUPE, PEKKO_MANAGEMENT
    }

    private final Owner owner;
    private final String method;
    private final String template;
    private final List<String> segments;

    MutatingRoute(Owner owner, String method, String template) {
        this.owner = owner;
        this.method = method;
        this.template = template;
        this.segments = List.of(template.substring(1).split("/"));
    }

    public Owner owner() {
        return owner;
    }

    /** The HTTP method, upper case. */
    public String method() {
        return method;
    }

    /** The path with {@code {name}} placeholders. */
    public String template() {
        return template;
    }

    /**
     * The placeholder values (still URL-encoded) when {@code method} and {@code path} (as sent, without the query)
     * match this route; empty otherwise.
     */
    public Optional<List<String>> match(String method, String path) {
        if (!this.method.equalsIgnoreCase(method) || !path.startsWith("/")) {
            return Optional.empty();
        }
        String trimmed = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String[] parts = trimmed.substring(1).split("/", -1);
        if (parts.length != segments.size()) {
            return Optional.empty();
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String s = segments.get(i);
            if (s.startsWith("{") && s.endsWith("}")) {
                if (parts[i].isEmpty()) {
                    return Optional.empty();
                }
                values.add(parts[i]);
            } else if (!s.equals(parts[i])) {
                return Optional.empty();
            }
        }
        return Optional.of(values);
    }

    /** The first route matching {@code method} and {@code path}, with its placeholder values. */
    public static Optional<Matched> find(String method, String path) {
        for (MutatingRoute r : values()) {
            Optional<List<String>> values = r.match(method, path);
            if (values.isPresent()) {
                return Optional.of(new Matched(r, values.get()));
            }
        }
        return Optional.empty();
    }

    /** A route and the values of its placeholders. */
    public record Matched(MutatingRoute route, List<String> values) {
    }

    @Override
    public String toString() {
        return method + " " + template;
    }
}
