package io.troupe.cluster.http;

import io.troupe.cluster.http.AdminApi.AddressAction;
import io.troupe.cluster.http.AdminApi.AgentList;
import io.troupe.cluster.http.AdminApi.AgentSelection;
import io.troupe.cluster.http.AdminApi.DryRun;
import io.troupe.cluster.http.AdminApi.ErrorBody;
import io.troupe.cluster.http.AdminApi.MemberAddress;
import io.troupe.cluster.http.AdminApi.Members;
import io.troupe.cluster.http.AdminApi.MembershipChange;
import io.troupe.cluster.http.AdminApi.Paused;
import io.troupe.cluster.http.AdminApi.Resumed;
import io.troupe.cluster.http.AdminApi.RewardHistoryView;
import io.troupe.cluster.http.AdminApi.RewardSource;
import io.troupe.cluster.http.AdminApi.RewardSubmission;
import io.troupe.cluster.http.AdminApi.RewardTest;
import io.troupe.cluster.http.AdminApi.RollbackRequest;
import io.troupe.cluster.http.AdminApi.ScaleRequest;
import io.troupe.cluster.http.AdminApi.Shards;
import io.troupe.cluster.http.AdminApi.Status;
import io.troupe.cluster.http.AdminApi.Templates;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.monitor.MetricsHistory;
import io.troupe.core.http.BearerToken;
import io.troupe.core.http.HostCheck;
import io.troupe.core.reward.RewardExpressionException;
import io.troupe.environments.UnknownEnvException;
import io.troupe.environments.reward.RewardTemplates;
import java.net.MalformedURLException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.management.cluster.javadsl.ClusterHttpManagementRoutes;

/**
 * Troupe's admin HTTP routes. Every request must name this server in its {@code Host} header ({@link HostCheck}: 421
 * otherwise, against DNS rebinding). Reads are open; every mutating route is declared in {@link MutatingRoute}, needs
 * {@code Authorization: Bearer <token>} and is refused with 401, changing nothing, without it. Bodies are JSON of at
 * most 16 KiB read into {@link AdminApi}'s records; a malformed one gets 400 with the reason. Errors are JSON
 * {@code {"error": "..."}}; no answer ever carries the token or a TLS password.
 *
 * <pre>
 * GET  /                                    the dashboard ({@link DashboardRoutes}: its page, GET /troupe/events)
 * GET  /troupe/status                       job figures, reward versions, replay sizes, cluster members and their roles
 * GET  /troupe/replay                       per replay shard: node, items, steps, inserts, samples, duplicates
 * GET  /troupe/replay/stored?producer=ID    the unroll sequence numbers replay holds for one agent (audits)
 * GET  /troupe/metrics                      the same figures and JVM memory in Prometheus' text format
 * GET  /troupe/agents                       per agent: node, env, state, steps, episodes, policy and reward versions
 * POST /troupe/agents/pause|resume          {} (all) or {"agents": ["agent-0", ...]}
 * POST /troupe/agents/scale                 {"count": N}: agents 0..N-1 act, the others pause
 * GET  /troupe/cluster/members              members: address, status, roles, reachability; the leader
 * POST /troupe/cluster/join|leave|down      {"address": "pekko://troupe@host:port"}
 * /cluster, /cluster/members[/{address}], /cluster/shards/{name}   Pekko Management's cluster routes
 * GET  /troupe/rewards/{env}                the env's reward history and the active version
 * GET  /troupe/rewards/{env}/templates      built-in example rewards
 * POST /troupe/rewards/{env}                {"expr": "..."} or {"class": "..."}, optional "note", "author"
 * POST /troupe/rewards/{env}/rollback       {} (the version active before) or {"to": N}
 * POST /troupe/rewards/{env}/test           {"expr" | "class", "steps"}: a dry run, nothing written; steps at most
 *                                           troupe.admin.max-dry-run-steps (400 above)
 * </pre>
 */
public final class AdminRoutes extends AllDirectives {
    private static final long MAX_BODY = 16 * 1024;
    /** A declared body over the limit but at most this long is read and dropped before the 413 (see {@link #body}). */
    private static final long MAX_DRAINED_BODY = 1 << 20;

    private final ActorSystem<?> system;
    private final AdminSettings settings;
    private final RewardRegistryClient rewards;
    private final JobStatus status;
    private final AgentDirectory agents;
    private final ReplayDirectory replay;
    private final Supplier<HostCheck> hosts;
    private final DashboardRoutes dashboard;

    /**
     * @param hosts the Host check for the bound address (known once bound; null until then: every request is
     *              refused)
     */
    public AdminRoutes(ActorSystem<?> system, AdminSettings settings, RewardRegistryClient rewards, JobStatus status,
                       MetricsHistory history, Supplier<HostCheck> hosts) {
        this(system, settings, rewards, status, history, hosts, Optional.empty());
    }

    /** @param serving the serve role's reads for the dashboard's serving panel, when this node serves */
    public AdminRoutes(ActorSystem<?> system, AdminSettings settings, RewardRegistryClient rewards, JobStatus status,
                       MetricsHistory history, Supplier<HostCheck> hosts, Optional<Route> serving) {
        this.system = system;
        this.settings = settings;
        this.rewards = rewards;
        this.status = status;
        this.agents = new AgentDirectory(system, settings.timeouts().ask());
        this.replay = new ReplayDirectory(system, settings.timeouts());
        this.hosts = hosts;
        this.dashboard = new DashboardRoutes(history, serving);
    }

    /** Every answer is JSON, also pekko-http's own rejections (404, 405, 413, ...), and carries no secret. */
    private RejectionHandler rejections() {
        return RejectionHandler.defaultHandler().mapRejectionResponse(r -> {
            if (r.entity() instanceof HttpEntity.Strict strict
                    && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response(r.status(), new ErrorBody(strict.getData().utf8String()));
            }
            return r;
        });
    }

    public Route route() {
        RejectionHandler rejections = rejections();
        ExceptionHandler exceptions = ExceptionHandler.newBuilder()
                .match(EntityStreamSizeException.class, e -> error(StatusCodes.PAYLOAD_TOO_LARGE,
                        "the request body is larger than " + MAX_BODY + " bytes"))
                .match(Exception.class, e -> error(statusOf(e), String.valueOf(e.getMessage())))
                .build();
        // Pekko Management's cluster routes (GET /cluster/members, /cluster/members/{address}, /cluster/shards/{name}
        // open; its changes only through the MutatingRoute table)
        Route management = ClusterHttpManagementRoutes.all(
                org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)));
        Route managementReads = extractMethod(m -> m.equals(HttpMethods.GET) || m.equals(HttpMethods.HEAD)
                ? management : reject());
        return handleExceptions(exceptions, () -> handleRejections(rejections, () -> hostChecked(() ->
                concat(mutations(management), reads(), dashboard.route(), managementReads))));
    }

    private Route hostChecked(Supplier<Route> inner) {
        return optionalHeaderValueByName("Host", header -> {
            HostCheck check = hosts.get();
            String refusal = check == null ? "the admin API is not bound yet" : check.refusal(header.orElse(null));
            return refusal == null ? inner.get() : error(StatusCodes.MISDIRECTED_REQUEST, refusal);
        });
    }

    /**
     * Every route of {@link MutatingRoute}, behind the token; nothing else in this class changes anything. A matched
     * route answers itself (its rejections are not merged with the read routes').
     */
    private Route mutations(Route management) {
        return extractMethod(method -> extractUri(uri -> MutatingRoute.find(method.name(), uri.path())
                .<Route>map(m -> handleRejections(rejections(), () -> authorized(() -> handle(m.route(), m.values(),
                        management))))
                .orElseGet(this::reject)));
    }

    private Route handle(MutatingRoute route, List<String> values, Route management) {
        return switch (route) {
            case AGENTS_PAUSE -> body(route, AgentSelection.class, b -> pause(b, true));
            case AGENTS_RESUME -> body(route, AgentSelection.class, b -> pause(b, false));
            case AGENTS_SCALE -> body(route, ScaleRequest.class, b -> async(() -> agents.scale(b.count()),
                    StatusCodes.ACCEPTED));
            case CLUSTER_JOIN -> body(route, MemberAddress.class, b -> membership(b, AddressAction.JOIN));
            case CLUSTER_LEAVE -> body(route, MemberAddress.class, b -> membership(b, AddressAction.LEAVE));
            case CLUSTER_DOWN -> body(route, MemberAddress.class, b -> membership(b, AddressAction.DOWN));
            case REWARD_SUBMIT -> body(route, RewardSubmission.class, b -> submit(decode(values.get(0)), b));
            case REWARD_ROLLBACK -> body(route, RollbackRequest.class, b -> async(() -> rewards.rollback(
                    decode(values.get(0)), Optional.ofNullable(b.to())).thenApply(h -> RewardHistoryView.of(h,
                    null))));
            case REWARD_TEST -> body(route, RewardTest.class, b -> test(decode(values.get(0)), b));
            case MANAGEMENT_JOIN, MANAGEMENT_MEMBER_OPERATION, MANAGEMENT_MEMBER_LEAVE,
                    MANAGEMENT_CLUSTER_OPERATION -> management;
        };
    }

    private Route reads() {
        return get(() -> pathPrefix("troupe", () -> concat(
                path("status", () -> async(() -> replay.list().thenApply(shards -> new Status(status.snapshot(),
                        membersBody().members(), shards.size(), shards.stream().mapToLong(s -> s.items() == null
                        ? 0 : s.items()).sum())))),
                pathPrefix("replay", () -> concat(
                        pathEnd(() -> async(() -> replay.list().thenApply(Shards::new))),
                        path("stored", () -> parameter("producer", producer -> async(() ->
                                replay.stored(producer)))))),
                path("metrics", () -> complete(HttpResponse.create().withStatus(StatusCodes.OK)
                        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, settings.redact(PrometheusText.render(
                                JsonCodec.tree(status.snapshot()), Cluster.get(system).state().getMembers()))))),
                pathPrefix("agents", () -> pathEnd(() -> async(() -> agents.list().thenApply(l ->
                        new AgentList(l.size(), l))))),
                pathPrefix("cluster", () -> path("members", () -> json(StatusCodes.OK, membersBody()))),
                pathPrefix("rewards", () -> pathPrefix(PathMatchers.segment(), envId -> concat(
                        pathEnd(() -> async(() -> rewards.history(envId).thenApply(h -> RewardHistoryView.of(h,
                                null)))),
                        path("templates", () -> json(StatusCodes.OK, new Templates(envId,
                                RewardTemplates.forEnv(envId))))))))));
    }

    private Route pause(AgentSelection b, boolean paused) {
        return async(() -> agents.setPaused(b.agents(), paused).thenApply(told -> paused ? new Paused(told)
                : new Resumed(told)), StatusCodes.ACCEPTED);
    }

    /** join: this node joins the cluster at the address; leave / down: the member at the address leaves / is downed. */
    private Route membership(MemberAddress b, AddressAction action) {
        Cluster cluster = Cluster.get(system);
        if (b.address().isEmpty()) {
            throw new IllegalArgumentException("the body needs \"address\": a member address such as "
                    + cluster.selfMember().address());
        }
        Address address;
        try {
            address = AddressFromURIString.parse(b.address());
        } catch (Exception e) { // Pekko throws the checked MalformedURLException here
            if (!(e instanceof RuntimeException) && !(e instanceof MalformedURLException)) {
                throw new IllegalStateException(e);
            }
            throw new IllegalArgumentException("\"" + b.address() + "\" is not a member address such as "
                    + cluster.selfMember().address());
        }
        boolean member = false;
        for (Member m : cluster.state().getMembers()) {
            member |= m.address().equals(address);
        }
        switch (action) {
            case JOIN -> cluster.manager().tell(Join.create(address));
            case LEAVE, DOWN -> {
                if (!member) {
                    return error(StatusCodes.NOT_FOUND, address + " is not a member of this cluster; members: "
                            + membersBody().members().stream().map(AdminApi.Member::address).toList());
                }
                cluster.manager().tell(action == AddressAction.LEAVE ? Leave.create(address) : new Down(address));
            }
        }
        return json(StatusCodes.ACCEPTED, new MembershipChange(action.id(), address.toString(), true));
    }

    private Members membersBody() {
        Cluster cluster = Cluster.get(system);
        var state = cluster.state();
        List<AdminApi.Member> members = new ArrayList<>();
        for (Member m : state.getMembers()) {
            members.add(new AdminApi.Member(m.address().toString(), m.status().toString(),
                    m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList(),
                    !state.getUnreachable().contains(m)));
        }
        return new Members(cluster.selfMember().address().toString(),
                state.getLeader() == null ? null : state.getLeader().toString(), members);
    }

    private Route submit(String envId, RewardSubmission b) {
        RewardSource source = b.source();
        return async(() -> rewards.submit(envId, source.kind(), source.source(), b.author().isEmpty() ? "admin"
                : b.author(), b.note()).thenApply(s -> RewardHistoryView.of(s.history(), DryRun.of(s.dryRun()))),
                StatusCodes.CREATED);
    }

    private Route test(String envId, RewardTest b) {
        RewardSource source = b.source();
        return async(() -> rewards.test(envId, source.kind(), source.source(), b.steps()).thenApply(DryRun::of));
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment, StandardCharsets.UTF_8);
    }

    private Route authorized(Supplier<Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            if (settings.token().isEmpty()) {
                return unauthorized("no admin token is configured on this node (set " + AdminSettings.TOKEN_VARIABLE
                        + " before starting it): mutating requests are refused");
            }
            return switch (BearerToken.check(settings.token().get(), header)) {
                case ACCEPTED -> inner.get();
                case MISSING -> unauthorized("this request needs the header 'Authorization: Bearer <token>'");
                case INVALID -> unauthorized("the bearer token is not valid");
            };
        });
    }

    private Route unauthorized(String message) {
        return complete(response(StatusCodes.UNAUTHORIZED, new ErrorBody(message))
                .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"troupe\"")));
    }

    /** Reads the JSON body (at most 16 KiB) as a {@code type} and hands it to {@code handler}. */
    private <T> Route body(MutatingRoute route, Class<T> type, Function<T, Route> handler) {
        return extractRequestEntity(entity -> {
            OptionalLong length = entity.getContentLengthOption();
            if (length.isPresent() && length.getAsLong() > MAX_BODY) {
                Route tooLarge = error(StatusCodes.PAYLOAD_TOO_LARGE, "the request body is larger than " + MAX_BODY
                        + " bytes");
                if (length.getAsLong() > MAX_DRAINED_BODY) {
                    return tooLarge; // answered at once; the connection closes with the body unread
                }
                // read the body before answering: a connection closed with unread bytes is reset, and a reset can
                // reach the client before it has read the 413
                return extractMaterializer(mat -> onComplete(entity.discardBytes(mat).completionStage(),
                        done -> tooLarge));
            }
            return withSizeLimit(MAX_BODY, () -> entity(Unmarshaller.entityToString(), text -> {
                try {
                    return handler.apply(JsonCodec.read(text, type, "the body of " + route));
                } catch (RuntimeException e) {
                    return error(statusOf(e), e.getMessage());
                }
            }));
        });
    }

    private Route async(Supplier<CompletionStage<?>> work) {
        return async(work, StatusCodes.OK);
    }

    private Route async(Supplier<CompletionStage<?>> work, StatusCode success) {
        CompletionStage<?> stage;
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
            return response(statusOf(cause), new ErrorBody(String.valueOf(cause.getMessage())));
        }));
    }

    private static StatusCode statusOf(Throwable e) {
        if (e instanceof UnknownEnvException) {
            return StatusCodes.NOT_FOUND;
        }
        if (e instanceof RewardExpressionException || e instanceof IllegalArgumentException) {
            return StatusCodes.BAD_REQUEST;
        }
        if (e instanceof IllegalStateException || e instanceof TimeoutException) {
            return StatusCodes.SERVICE_UNAVAILABLE;
        }
        return StatusCodes.INTERNAL_SERVER_ERROR;
    }

    private Route error(StatusCode code, String message) {
        return json(code, new ErrorBody(String.valueOf(message)));
    }

    private Route json(StatusCode code, Object body) {
        return complete(response(code, body));
    }

    /** {@code body} as JSON, every secret of the settings redacted. */
    private HttpResponse response(StatusCode code, Object body) {
        return HttpResponse.create().withStatus(code).withEntity(ContentTypes.APPLICATION_JSON,
                settings.redact(JsonCodec.write(body)));
    }
}
