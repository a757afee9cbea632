package io.troupe.cluster.http;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonSyntaxException;
import io.troupe.cluster.util.Json;
import io.troupe.core.reward.RewardExpressionException;
import io.troupe.core.reward.RewardHistory;
import io.troupe.core.reward.RewardSpec;
import io.troupe.environments.UnknownEnvException;
import io.troupe.environments.reward.RewardTemplates;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.management.cluster.javadsl.ClusterHttpManagementRoutes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * Troupe's admin HTTP routes. Reads are open (the server binds to loopback by default); every POST needs
 * {@code Authorization: Bearer <token>} and is refused with 401, changing nothing, without it. Bodies are JSON of at
 * most 16 KiB; a malformed one gets 400 with the reason. Errors are JSON {@code {"error": "..."}}.
 *
 * <pre>
 * GET  /troupe/status                       job figures, reward versions, replay sizes, cluster members and their roles
 * GET  /troupe/replay                       per replay shard: node, items, steps, inserts, samples, duplicates
 * GET  /troupe/replay/stored?producer=ID    the unroll sequence numbers replay holds for one agent (audits)
 * GET  /troupe/metrics                      the same figures and JVM memory in Prometheus' text format
 * GET  /troupe/agents                       per agent: node, env, state, steps, episodes, policy and reward versions
 * POST /troupe/agents/pause|resume          {} (all) or {"agents": ["agent-0", ...]}
 * POST /troupe/agents/scale                 {"count": N}: agents 0..N-1 act, the others pause
 * GET  /troupe/cluster/members              members: address, status, roles, reachability; the leader
 * POST /troupe/cluster/join|leave|down      {"address": "pekko://troupe@host:port"}
 * /cluster/members[/{address}], /cluster/shards/{name}   Pekko Management's cluster routes (changes authenticated)
 * GET  /troupe/rewards/{env}                the env's reward history and the active version
 * GET  /troupe/rewards/{env}/templates      built-in example rewards
 * POST /troupe/rewards/{env}                {"expr": "..."} or {"class": "..."}, optional "note", "author"
 * POST /troupe/rewards/{env}/rollback       {} (the version active before) or {"to": N}
 * POST /troupe/rewards/{env}/test           {"expr" | "class", "steps"}: a dry run, nothing written
 * </pre>
 */
public final class AdminRoutes extends AllDirectives {
    private static final long MAX_BODY = 16 * 1024;
    private static final Set<String> SUBMIT_FIELDS = Set.of("expr", "class", "note", "author");
    private static final Set<String> TEST_FIELDS = Set.of("expr", "class", "steps");

    private final ActorSystem<?> system;
    private final AdminSettings settings;
    private final RewardRegistryClient rewards;
    private final JobStatus status;
    private final AgentDirectory agents;
    private final ReplayDirectory replay;

    public AdminRoutes(ActorSystem<?> system, AdminSettings settings, RewardRegistryClient rewards, JobStatus status) {
        this.system = system;
        this.settings = settings;
        this.rewards = rewards;
        this.status = status;
        this.agents = new AgentDirectory(system);
        this.replay = new ReplayDirectory(system);
    }

    public Route route() {
        // every answer is JSON, also pekko-http's own rejections (404, 405, 413, ...)
        RejectionHandler rejections = RejectionHandler.defaultHandler().mapRejectionResponse(r -> {
            if (r.entity() instanceof HttpEntity.Strict strict
                    && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return r.withEntity(ContentTypes.APPLICATION_JSON, Json.write(Map.of("error",
                        strict.getData().utf8String())));
            }
            return r;
        });
        ExceptionHandler exceptions = ExceptionHandler.newBuilder()
                .match(EntityStreamSizeException.class, e -> error(StatusCodes.PAYLOAD_TOO_LARGE,
                        "the request body is larger than " + MAX_BODY + " bytes"))
                .match(Exception.class, e -> error(statusOf(e), String.valueOf(e.getMessage())))
                .build();
        // Pekko Management's cluster routes (GET /cluster/members, /cluster/members/{address}, /cluster/shards/{name};
        // POST /cluster/members to join, PUT (operation Leave or Down) and DELETE to remove): reads open, changes
        // behind the same bearer token as Troupe's routes
        Route management = ClusterHttpManagementRoutes.all(
                org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)));
        Route guardedManagement = extractMethod(m -> m.equals(HttpMethods.GET) ? management
                : authorized(() -> management));
        return handleExceptions(exceptions, () -> handleRejections(rejections,
                () -> concat(routes(), guardedManagement)));
    }

    private Route routes() {
        return pathPrefix("troupe", () -> concat(
                path("status", () -> get(() -> async(() -> replay.list().thenApply(shards -> {
                    Map<String, Object> out = statusBody();
                    long items = 0;
                    for (Map<String, Object> shard : shards) {
                        items += shard.get("items") instanceof Number n ? n.longValue() : 0;
                    }
                    out.put("replay_shards", shards.size());
                    out.put("replay_items", items);
                    return out;
                })))),
                pathPrefix("replay", () -> concat(
                        pathEnd(() -> get(() -> async(() -> replay.list().thenApply(shards -> {
                            Map<String, Object> out = new LinkedHashMap<>();
                            out.put("shards", shards);
                            return out;
                        })))),
                        path("stored", () -> get(() -> parameter("producer", producer -> async(() ->
                                replay.stored(producer))))))),
                path("metrics", () -> get(() -> complete(HttpResponse.create().withStatus(StatusCodes.OK)
                        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, PrometheusText.render(status.snapshot(),
                                Cluster.get(system).state().getMembers()))))),
                pathPrefix("agents", () -> concat(
                        pathEnd(() -> get(() -> async(() -> agents.list().thenApply(l -> {
                            Map<String, Object> out = new LinkedHashMap<>();
                            out.put("count", l.size());
                            out.put("agents", l);
                            return out;
                        })))),
                        path("pause", () -> post(() -> authorized(() -> body(Set.of("agents"),
                                b -> pause(b, true))))),
                        path("resume", () -> post(() -> authorized(() -> body(Set.of("agents"),
                                b -> pause(b, false))))),
                        path("scale", () -> post(() -> authorized(() -> body(Set.of("count"), b -> {
                            JsonElement c = b.get("count");
                            if (c == null || !c.isJsonPrimitive() || !c.getAsJsonPrimitive().isNumber()) {
                                throw new IllegalArgumentException("the body needs \"count\": the number of agents "
                                        + "that act");
                            }
                            int n = c.getAsInt();
                            return async(() -> agents.scale(n), StatusCodes.ACCEPTED);
                        })))))),
                pathPrefix("cluster", () -> concat(
                        path("members", () -> get(() -> json(StatusCodes.OK, membersBody()))),
                        path("join", () -> post(() -> authorized(() -> body(Set.of("address"),
                                b -> membership(b, "join"))))),
                        path("leave", () -> post(() -> authorized(() -> body(Set.of("address"),
                                b -> membership(b, "leave"))))),
                        path("down", () -> post(() -> authorized(() -> body(Set.of("address"),
                                b -> membership(b, "down"))))))),
                pathPrefix("rewards", () -> pathPrefix(PathMatchers.segment(), envId -> concat(
                        pathEnd(() -> concat(
                                get(() -> async(() -> rewards.history(envId).thenApply(this::historyBody))),
                                post(() -> authorized(() -> body(SUBMIT_FIELDS, b -> submit(envId, b)))))),
                        path("templates", () -> get(() -> json(StatusCodes.OK, templatesBody(envId)))),
                        path("rollback", () -> post(() -> authorized(() -> body(Set.of("to"), b -> rollback(envId,
                                b))))),
                        path("test", () -> post(() -> authorized(() -> body(TEST_FIELDS, b -> test(envId, b))))))))));
    }

    private Route pause(JsonObject b, boolean paused) {
        List<String> ids = new ArrayList<>();
        if (b.has("agents")) {
            JsonElement e = b.get("agents");
            if (!e.isJsonArray()) {
                throw new IllegalArgumentException("\"agents\" must be a list of agent ids, got " + e);
            }
            for (JsonElement id : e.getAsJsonArray()) {
                if (!id.isJsonPrimitive() || !id.getAsJsonPrimitive().isString()) {
                    throw new IllegalArgumentException("\"agents\" must hold agent ids (strings), got " + id);
                }
                ids.add(id.getAsString());
            }
        }
        return async(() -> agents.setPaused(ids, paused).thenApply(told -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put(paused ? "paused" : "resumed", told);
            return out;
        }), StatusCodes.ACCEPTED);
    }

    /** join: this node joins the cluster at the address; leave / down: the member at the address leaves / is downed. */
    private Route membership(JsonObject b, String action) {
        String text = optionalString(b, "address");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("the body needs \"address\": a member address such as "
                    + Cluster.get(system).selfMember().address());
        }
        Address address;
        try {
            address = AddressFromURIString.parse(text);
        } catch (Exception e) { // Pekko throws the checked MalformedURLException here
            if (!(e instanceof RuntimeException) && !(e instanceof java.net.MalformedURLException)) {
                throw new IllegalStateException(e);
            }
            throw new IllegalArgumentException("\"" + text + "\" is not a member address such as "
                    + Cluster.get(system).selfMember().address());
        }
        Cluster cluster = Cluster.get(system);
        if (!action.equals("join")) {
            boolean member = false;
            for (Member m : cluster.state().getMembers()) {
                member |= m.address().equals(address);
            }
            if (!member) {
                return error(StatusCodes.NOT_FOUND, address + " is not a member of this cluster; members: "
                        + membersBody().get("members"));
            }
        }
        switch (action) {
            case "join" -> cluster.manager().tell(org.apache.pekko.cluster.typed.Join.create(address));
            case "leave" -> cluster.manager().tell(org.apache.pekko.cluster.typed.Leave.create(address));
            default -> cluster.manager().tell(new org.apache.pekko.cluster.typed.Down(address));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("action", action);
        out.put("address", address.toString());
        out.put("accepted", true);
        return json(StatusCodes.ACCEPTED, out);
    }

    private Map<String, Object> membersBody() {
        Cluster cluster = Cluster.get(system);
        var state = cluster.state();
        List<Map<String, Object>> members = new ArrayList<>();
        for (Member m : state.getMembers()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("address", m.address().toString());
            e.put("status", m.status().toString());
            e.put("roles", m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList());
            e.put("reachable", !state.getUnreachable().contains(m));
            members.add(e);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("self", cluster.selfMember().address().toString());
        out.put("leader", state.getLeader() == null ? null : state.getLeader().toString());
        out.put("members", members);
        return out;
    }

    private Route submit(String envId, JsonObject b) {
        String[] source = kindAndSource(b);
        String note = optionalString(b, "note");
        String author = optionalString(b, "author");
        return async(() -> rewards.submit(envId, source[0], source[1], author.isEmpty() ? "admin" : author, note)
                .thenApply(s -> {
                    Map<String, Object> out = historyBody(s.history());
                    out.put("dry_run", s.dryRun().toMap());
                    return out;
                }), StatusCodes.CREATED);
    }

    private Route rollback(String envId, JsonObject b) {
        Optional<Long> to = Optional.empty();
        if (b.has("to")) {
            JsonElement e = b.get("to");
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException("\"to\" must be a version number, got " + e);
            }
            to = Optional.of(e.getAsLong());
        }
        Optional<Long> target = to;
        return async(() -> rewards.rollback(envId, target).thenApply(this::historyBody));
    }

    private Route test(String envId, JsonObject b) {
        String[] source = kindAndSource(b);
        int steps = 2000;
        if (b.has("steps")) {
            JsonElement e = b.get("steps");
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException("\"steps\" must be a number, got " + e);
            }
            steps = e.getAsInt();
        }
        int n = steps;
        return async(() -> CompletableFuture.supplyAsync(() -> rewards.test(envId, source[0], source[1], n).toMap(),
                system.executionContext()));
    }

    /** {kind, source} from exactly one of "expr" and "class". */
    private static String[] kindAndSource(JsonObject b) {
        boolean expr = b.has("expr");
        boolean cls = b.has("class");
        if (expr == cls) {
            throw new IllegalArgumentException("the body needs exactly one of \"expr\" (an expression) and \"class\" "
                    + "(a class name)");
        }
        String key = expr ? "expr" : "class";
        JsonElement e = b.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a string, got " + e);
        }
        return new String[] {expr ? RewardSpec.EXPR : RewardSpec.CLASS, e.getAsString()};
    }

    private static String optionalString(JsonObject b, String key) {
        if (!b.has(key)) {
            return "";
        }
        JsonElement e = b.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a string, got " + e);
        }
        String s = e.getAsString();
        if (s.length() > 500) {
            throw new IllegalArgumentException("\"" + key + "\" has " + s.length() + " characters; at most 500");
        }
        return s;
    }

    private Route authorized(Supplier<Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            if (settings.token().isEmpty()) {
                return unauthorized("no admin token is configured on this node (set " + AdminSettings.TOKEN_VARIABLE
                        + " before starting it): mutating requests are refused");
            }
            String expected = "Bearer " + settings.token().get();
            if (header.isEmpty() || !MessageDigest.isEqual(header.get().trim().getBytes(StandardCharsets.UTF_8),
                    expected.getBytes(StandardCharsets.UTF_8))) {
                return unauthorized(header.isEmpty() ? "this request needs the header 'Authorization: Bearer <token>'"
                        : "the bearer token is not valid");
            }
            return inner.get();
        });
    }

    private Route unauthorized(String message) {
        return complete(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
                .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"troupe\""))
                .withEntity(ContentTypes.APPLICATION_JSON, Json.write(Map.of("error", message))));
    }

    /** Parses the JSON object body (at most 16 KiB, only the allowed fields) and hands it to {@code handler}. */
    private Route body(Set<String> allowed, Function<JsonObject, Route> handler) {
        return withSizeLimit(MAX_BODY, () -> entity(Unmarshaller.entityToString(), text -> {
            try {
                JsonElement parsed = text.isBlank() ? new JsonObject() : JsonParser.parseString(text);
                if (!parsed.isJsonObject()) {
                    return error(StatusCodes.BAD_REQUEST, "the request body must be a JSON object, got " + text);
                }
                JsonObject b = parsed.getAsJsonObject();
                for (String key : b.keySet()) {
                    if (!allowed.contains(key)) {
                        return error(StatusCodes.BAD_REQUEST, "unknown field \"" + key + "\"; expected " + allowed);
                    }
                }
                return handler.apply(b);
            } catch (JsonSyntaxException e) {
                return error(StatusCodes.BAD_REQUEST, "the request body is not valid JSON: " + e.getMessage());
            } catch (RuntimeException e) {
                return error(statusOf(e), e.getMessage());
            }
        }));
    }

    private Route async(Supplier<CompletionStage<Map<String, Object>>> work) {
        return async(work, StatusCodes.OK);
    }

    private Route async(Supplier<CompletionStage<Map<String, Object>>> work, StatusCode success) {
        CompletionStage<Map<String, Object>> stage;
        try {
            stage = work.get();
        } catch (RuntimeException e) {
            return error(statusOf(e), e.getMessage());
        }
        return completeWithFuture(stage.handle((body, failure) -> {
            if (failure == null) {
                return response(success, body);
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            return response(statusOf(cause), Map.of("error", String.valueOf(cause.getMessage())));
        }));
    }

    private static StatusCode statusOf(Throwable e) {
        if (e instanceof UnknownEnvException) {
            return StatusCodes.NOT_FOUND;
        }
        if (e instanceof RewardExpressionException || e instanceof IllegalArgumentException) {
            return StatusCodes.BAD_REQUEST;
        }
        if (e instanceof IllegalStateException || e instanceof java.util.concurrent.TimeoutException) {
            return StatusCodes.SERVICE_UNAVAILABLE;
        }
        return StatusCodes.INTERNAL_SERVER_ERROR;
    }

    private Route error(StatusCode code, String message) {
        return json(code, Map.of("error", String.valueOf(message)));
    }

    private Route json(StatusCode code, Map<String, Object> body) {
        return complete(response(code, body));
    }

    private static HttpResponse response(StatusCode code, Map<String, Object> body) {
        return HttpResponse.create().withStatus(code).withEntity(ContentTypes.APPLICATION_JSON, Json.write(body));
    }

    private Map<String, Object> statusBody() {
        Map<String, Object> out = new LinkedHashMap<>(status.snapshot());
        out.put("members", membersBody().get("members"));
        return out;
    }

    private Map<String, Object> historyBody(RewardHistory h) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("env", h.envId());
        out.put("active", h.active());
        List<Map<String, Object>> versions = new ArrayList<>();
        for (RewardSpec s : h.versions()) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("version", s.version());
            v.put("kind", s.kind());
            v.put("source", s.source());
            v.put("author", s.author());
            v.put("created", s.createdMillis() == 0 ? null : Instant.ofEpochMilli(s.createdMillis()).toString());
            v.put("note", s.note());
            v.put("active", s.version() == h.active());
            versions.add(v);
        }
        out.put("versions", versions);
        return out;
    }

    private static Map<String, Object> templatesBody(String envId) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (RewardTemplates.Template t : RewardTemplates.forEnv(envId)) {
            list.add(new LinkedHashMap<>(Map.of("name", t.name(), "expr", t.expr(), "description", t.description())));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("env", envId);
        out.put("templates", list);
        return out;
    }
}
