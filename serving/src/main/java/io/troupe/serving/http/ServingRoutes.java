package io.troupe.serving.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.core.http.BearerToken;
import io.troupe.core.http.HostCheck;
import io.troupe.edge.observation.ObservationException;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.batch.Inference;
import io.troupe.serving.batch.QueueFullException;
import io.troupe.serving.batch.RequestTimeoutException;
import io.troupe.serving.drift.DriftMonitor;
import io.troupe.serving.drift.ReferenceProfile;
import io.troupe.serving.http.ServingApi.Act;
import io.troupe.serving.http.ServingApi.ActBatch;
import io.troupe.serving.http.ServingApi.Drift;
import io.troupe.serving.http.ServingApi.ErrorBody;
import io.troupe.serving.http.ServingApi.Feedback;
import io.troupe.serving.http.ServingApi.Health;
import io.troupe.serving.http.ServingApi.Pin;
import io.troupe.serving.http.ServingApi.PolicyList;
import io.troupe.serving.http.ServingApi.Unloaded;
import io.troupe.serving.metrics.ServingMetrics;
import io.troupe.serving.model.Decision;
import io.troupe.serving.model.Output;
import io.troupe.serving.model.PolicyRegistry;
import io.troupe.serving.model.ServedPolicy;
import io.troupe.serving.model.UnknownPolicyException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.HandlerProvider;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.util.ByteString;

/**
 * The policy service's routes ({@link ServingRoute}): thin layers that decode a body, queue it on the policy's
 * batcher and encode the answer when the batcher's future completes, so no Pekko HTTP thread ever waits for a model.
 * Every answer is JSON (errors {@code {"error": ..., "field": ...}}) except {@code /metrics} (Prometheus text) and the
 * docs. 400 names the field, 404 lists the policies, 413 is over {@code max-body-size}, 503 carries Retry-After. Bound
 * to loopback, a request whose Host header names another site gets 421 ({@link HostCheck}, against DNS rebinding).
 * A server binds {@link #handler}: these routes, with act and act-batch requests answered on a direct path in front.
 */
public final class ServingRoutes extends AllDirectives {
    /** Swagger UI's files in its webjar (org.webjars:swagger-ui, on the class path). */
    static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/5.34.1";
    /** The monitoring dashboard's files (also served by the admin port, in its training mode). */
    public static final String DASHBOARD = "io/troupe/serving/dashboard";
    /** uPlot's files in its webjar (org.webjars.npm:uplot, on the class path). */
    public static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist";
    static final String OPENAPI_RESOURCE = "io/troupe/serving/http/openapi.json";
    /** Reads bodies and writes answers; a body with anything after its JSON value is not valid JSON. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final System.Logger LOG = System.getLogger(ServingRoutes.class.getName());
    /** Up while a routed request's body is still being read ({@link #body}), for its request timeout. */
    private static final AttributeKey<AtomicBoolean> BODY_PENDING = AttributeKey.create("troupe-body-pending",
            AtomicBoolean.class);
    /** A declared body over the limit but at most this long is read and dropped before the 413 (see {@link #body}). */
    private static final long MAX_DRAINED_BODY = 8L << 20;

    /**
     * Loads a policy from a path for {@code POST /v1/policies}, and closes an unloaded one: both block (model building,
     * workers finishing their batch), so both run off Pekko's threads.
     */
    public interface Loader {
        CompletionStage<ServedPolicy> load(String name, String path);

        /** Closes {@code policy} (already out of the registry) off the caller's thread. */
        default CompletionStage<Void> close(ServedPolicy policy) {
            return CompletableFuture.runAsync(policy::close);
        }
    }

    private final ServingSettings settings;
    private final PolicyRegistry registry;
    private final ServingMetrics metrics;
    private final Loader loader;
    private final Executor encoders;
    private final SplittableRandom seeds = new SplittableRandom(0x5e7e_5eedL);
    private final String openApi;
    /** The Host check of the bound port: empty when not bound to loopback; null until bound (all refused). */
    private final Supplier<Optional<HostCheck>> hosts;

    /**
     * Routes that answer every Host header (a bench's in-process server).
     *
     * @param encoders where answers are encoded once the batcher answered (Pekko's dispatcher): never the model
     *                 worker's thread, which would encode a whole batch's answers before it could start the next batch
     */
    public ServingRoutes(ServingSettings settings, PolicyRegistry registry, ServingMetrics metrics, Loader loader,
                         Executor encoders) {
        this(settings, registry, metrics, loader, encoders, Optional::empty);
    }

    /**
     * @param hosts the Host header check of the bound address ({@link ServingSettings#hostCheck}; null until bound,
     *              when every request is refused)
     */
    public ServingRoutes(ServingSettings settings, PolicyRegistry registry, ServingMetrics metrics, Loader loader,
                         Executor encoders, Supplier<Optional<HostCheck>> hosts) {
        this.hosts = hosts;
        this.settings = settings;
        this.registry = registry;
        this.metrics = metrics;
        this.loader = loader;
        this.encoders = encoders;
        this.openApi = resource(OPENAPI_RESOURCE);
    }

    static String resource(String name) {
        try (InputStream in = ServingRoutes.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every route but the direct path's, unmeasured: {@link #handler} counts each answer as it goes out, after the
     * request timeout's race (a route's late answer, which the client never sees, is not counted).
     */
    Route route() {
        RejectionHandler rejections = RejectionHandler.defaultHandler().mapRejectionResponse(r -> {
            if (r.entity() instanceof HttpEntity.Strict strict
                    && !strict.getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return response(r.status(), new ErrorBody(strict.getData().utf8String()));
            }
            return r;
        });
        ExceptionHandler exceptions = ExceptionHandler.newBuilder()
                .match(EntityStreamSizeException.class, e -> complete(tooLarge()))
                .match(Exception.class, e -> complete(failure(e)))
                .build();
        return handleExceptions(exceptions, () -> handleRejections(rejections, () -> hostChecked(this::routes)));
    }

    /**
     * The service's handler. {@code POST /v1/policies/{name}/act} and {@code act-batch} with a body of a declared
     * length within {@code max-body-size} take a direct path that does what their routes do, with the same answers and
     * metrics (the Host check, the serving token, the policy, the JSON, the batcher), without the routing DSL: its
     * directives, built anew for every request, were about a quarter of the HTTP dispatcher's work on this route
     * (README, Serving bench). Every other request goes to {@link #route()}: chunked bodies (no declared length),
     * bodies over the limit (the routes' 413, read before it is answered), other methods and paths.
     */
    public HandlerProvider handler() {
        return system -> {
            org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> routed =
                    route().handler(system);
            return request -> {
                DirectAct act = request.method().equals(HttpMethods.POST) ? DirectAct.of(request.getUri().path())
                        : null;
                OptionalLong length = request.entity().getContentLengthOption();
                return act != null && length.isPresent() && length.getAsLong() <= settings.maxBodyBytes()
                        ? direct(request, act, system) : routed(request, routed, system);
            };
        };
    }

    /** A request for {@link #route()}, answered within the request timeout and counted as it is answered. */
    private CompletionStage<HttpResponse> routed(HttpRequest request,
            org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> route,
            ClassicActorSystemProvider system) throws Exception {
        long started = System.nanoTime();
        String template = ServingRoute.templateOf(request.getUri().path()).orElse("other");
        String method = request.method().name();
        AtomicBoolean bodyPending = new AtomicBoolean();
        return withinTimeout(route.apply(request.addAttribute(BODY_PENDING, bodyPending)), bodyPending, system)
                .whenComplete((r, e) -> metrics.request(template, method,
                e == null ? r.status().intValue() : StatusCodes.INTERNAL_SERVER_ERROR.intValue(),
                (System.nanoTime() - started) / 1e9));
    }

    /**
     * The routes' answer, or 503 once {@code request-timeout} passed without one (408 while the route still waits for
     * the rest of the request's body, {@code bodyPending}: the client's delay, not the service's): Pekko HTTP's own
     * request timeout is off on the serving port ({@link ServingServer#portSettings}); the direct act path's requests
     * are timed by their batcher, and those routes are few, so a timer each costs nothing that matters here.
     */
    private CompletionStage<HttpResponse> withinTimeout(CompletionStage<HttpResponse> answer,
                                                        AtomicBoolean bodyPending,
                                                        ClassicActorSystemProvider system) {
        CompletableFuture<HttpResponse> result = new CompletableFuture<>();
        Duration timeout = settings.batcher().requestTimeout();
        Cancellable timer = system.classicSystem().scheduler().scheduleOnce(timeout,
                () -> result.complete(failure(bodyPending.get() ? new BodyTimeoutException()
                        : new RequestTimeoutException("the service", timeout))),
                system.classicSystem().dispatcher());
        answer.whenComplete((response, e) -> {
            timer.cancel();
            if (e == null) {
                result.complete(response);
            } else {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /**
     * Why a body could not be read whole, as the failure it is answered with: it stopped arriving for the request
     * timeout (408), grew over {@code max-body-size} (413), or ended early, its connection closed or its chunks
     * malformed (400: the client's, never the service's).
     */
    private static RuntimeException bodyError(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof TimeoutException) {
            return new BodyTimeoutException();
        }
        if (cause instanceof EntityStreamException e) {
            return new IllegalArgumentException("the request body could not be read whole: "
                    + e.info().summary());
        }
        return cause instanceof RuntimeException r ? r : new CompletionException(cause);
    }

    /** A body did not arrive whole within the request timeout ({@code HttpEntity.toStrict}'s). */
    private static final class BodyTimeoutException extends RuntimeException {
        BodyTimeoutException() {
            super("the request body did not arrive whole in time", null, false, false);
        }
    }

    /** An act or act-batch request's path: its policy's name, and which of the two. */
    record DirectAct(String name, boolean batch) {
        private static final String PREFIX = "/v1/policies/";

        /** The act request {@code path} is, when it is one with a valid policy name; null otherwise (routed). */
        static DirectAct of(String path) {
            boolean batch = path.endsWith("/act-batch");
            String suffix = batch ? "/act-batch" : "/act";
            if (!path.startsWith(PREFIX) || !path.endsWith(suffix) || path.length() <= PREFIX.length()
                    + suffix.length()) {
                return null;
            }
            String name = path.substring(PREFIX.length(), path.length() - suffix.length());
            return ServedPolicy.isValidName(name) ? new DirectAct(name, batch) : null;
        }

        ServingRoute route() {
            return batch ? ServingRoute.ACT_BATCH : ServingRoute.ACT;
        }
    }

    /**
     * The direct path of {@link #handler}: the act route's checks in its order (Host, token, policy), then its body,
     * read whole (a strict entity already is), and the answer.
     */
    private CompletionStage<HttpResponse> direct(HttpRequest request, DirectAct act,
                                                 ClassicActorSystemProvider system) {
        long started = System.nanoTime();
        metrics.directRequest();
        HttpResponse refused = hostRefusal(request.getHeader("Host").map(HttpHeader::value));
        if (refused == null) {
            refused = inferenceRefusal(request.getHeader("Authorization").map(HttpHeader::value));
        }
        Optional<ServedPolicy> policy = registry.find(act.name());
        if (refused == null && policy.isEmpty()) {
            refused = failure(new UnknownPolicyException(act.name(), registry.names()));
        }
        CompletionStage<HttpResponse> answer;
        if (refused != null) {
            answer = CompletableFuture.completedFuture(refused);
        } else {
            CompletionStage<HttpEntity.Strict> body = request.entity() instanceof HttpEntity.Strict strict
                    ? CompletableFuture.completedFuture(strict)
                    : request.entity().toStrict(settings.batcher().requestTimeout().toMillis(), system)
                    .exceptionally(e -> {
                        throw bodyError(e);
                    });
            answer = body.thenCompose(b -> act(policy.get(), parse(b.getData()), act.batch()));
        }
        return answer.exceptionally(this::failure).thenApply(r -> {
            metrics.request(act.route().template(), "POST", r.status().intValue(),
                    (System.nanoTime() - started) / 1e9);
            return r;
        });
    }

    private Route routes() {
        return concat(
                pathPrefix("v1", () -> concat(policies(), docs())),
                pathPrefix("health", () -> get(() -> concat(
                        path("alive", () -> json(StatusCodes.OK, new Health("alive", registry.names()))),
                        path("ready", () -> registry.isEmpty()
                                ? json(StatusCodes.SERVICE_UNAVAILABLE, new Health("no policy loaded yet", List.of()))
                                : json(StatusCodes.OK, new Health("ready", registry.names())))))),
                path("metrics", () -> get(() -> complete(HttpResponse.create().withEntity(
                        ContentTypes.TEXT_PLAIN_UTF8, metrics.render(registry.all()))))),
                dashboard());
    }

    /**
     * Refuses (421) a request whose Host header names none of this port's addresses when it is bound to loopback:
     * against DNS rebinding, where a page on another site reaches 127.0.0.1 under its own name.
     */
    private Route hostChecked(Supplier<Route> inner) {
        return optionalHeaderValueByName("Host", header -> {
            HttpResponse refused = hostRefusal(header);
            return refused == null ? inner.get() : complete(refused);
        });
    }

    /** The 421 for a Host header that names none of this port's addresses; null when it may pass. */
    private HttpResponse hostRefusal(Optional<String> header) {
        Optional<HostCheck> check = hosts.get();
        String refusal = check == null ? "the policy service is not bound yet"
                : check.map(c -> c.refusal(header.orElse(null))).orElse(null);
        return refusal == null ? null : response(StatusCodes.MISDIRECTED_REQUEST, new ErrorBody(refusal));
    }

    /** The monitoring dashboard in its serving mode: its page and files, uPlot from its webjar. */
    private Route dashboard() {
        return get(() -> concat(
                pathSingleSlash(() -> getFromResource(DASHBOARD + "/serving.html")),
                pathPrefix("dashboard", () -> concat(
                        pathEnd(() -> redirect(Uri.create("/"), StatusCodes.PERMANENT_REDIRECT)),
                        pathPrefix("uplot", () -> getFromResourceDirectory(UPLOT)),
                        getFromResourceDirectory(DASHBOARD)))));
    }

    /**
     * The reads the dashboard's serving panel makes, for another port to mount (a node's admin port, under
     * {@code /troupe/serving}): the same answers as this port's {@code GET /v1/policies}, {@code /metrics} and
     * {@code /v1/policies/{name}/drift}, not counted in this port's request metrics.
     *
     * <pre>
     * GET policies                 the policies served (as GET /v1/policies)
     * GET policies/{name}/drift    a policy's drift report (as GET /v1/policies/{name}/drift)
     * GET metrics                  the serving metrics in Prometheus' text format (as GET /metrics)
     * </pre>
     */
    public Route monitoringReads() {
        return get(() -> concat(
                path("policies", () -> json(StatusCodes.OK, policyList())),
                path(PathMatchers.segment("policies").slash(PathMatchers.segment()).slash("drift"), name ->
                        withPolicy(name, p -> withDrift(p, m -> json(StatusCodes.OK, drift(p.name(), m))))),
                path("metrics", () -> complete(HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8,
                        metrics.render(registry.all()))))));
    }

    private PolicyList policyList() {
        return new PolicyList(registry.all().values().stream().map(ServedPolicy::info)
                .sorted((a, b) -> a.name().compareTo(b.name())).toList());
    }

    private Route policies() {
        return pathPrefix("policies", () -> concat(
                pathEnd(() -> concat(
                        get(() -> json(StatusCodes.OK, policyList())),
                        post(() -> admin(() -> body(this::load))))),
                pathPrefix(PathMatchers.segment(), name -> concat(
                        pathEnd(() -> concat(
                                get(() -> withPolicy(name, p -> json(StatusCodes.OK, p.info()))),
                                delete(() -> admin(() -> withPolicy(name, p -> {
                                    ServedPolicy removed = registry.detach(name);
                                    return completeWithFuture(loader.close(removed).handle((ok, failure) ->
                                            failure != null ? failure(failure) : response(StatusCodes.OK,
                                                    new Unloaded(name))));
                                }))))),
                        path("act", () -> post(() -> inference(() -> withPolicy(name, p -> body(b ->
                                completeWithFuture(act(p, b, false))))))),
                        path("act-batch", () -> post(() -> inference(() -> withPolicy(name, p -> body(b ->
                                completeWithFuture(act(p, b, true))))))),
                        path("feedback", () -> post(() -> inference(() -> jsonOnly(() -> withPolicy(name, p ->
                                body(b -> feedback(p, b))))))),
                        path("drift", () -> get(() -> withPolicy(name, p -> withDrift(p, m -> json(StatusCodes.OK,
                                drift(p.name(), m)))))),
                        path("pin", () -> concat(
                                put(() -> admin(() -> withPolicy(name, p -> body(b -> pin(p, b))))),
                                delete(() -> admin(() -> withPolicy(name, p -> {
                                    p.unpin();
                                    return json(StatusCodes.OK, new Pin(name, null, p.version()));
                                })))))))));
    }

    private Route docs() {
        return concat(
                path("openapi.json", () -> get(() -> complete(HttpResponse.create().withEntity(
                        ContentTypes.APPLICATION_JSON, openApi)))),
                pathPrefix("docs", () -> get(() -> concat(
                        pathEnd(() -> redirect(Uri.create("/v1/docs/"), StatusCodes.PERMANENT_REDIRECT)),
                        pathSingleSlash(() -> getFromResource(SWAGGER_UI + "/index.html")),
                        path("swagger-initializer.js", () -> complete(HttpResponse.create().withEntity(
                                ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8),
                                SWAGGER_INITIALIZER))),
                        getFromResourceDirectory(SWAGGER_UI)))));
    }

    /** Swagger UI's start script, pointed at this server's document (the webjar's points at the petstore). */
    static final String SWAGGER_INITIALIZER = """
            window.onload = function() {
              window.ui = SwaggerUIBundle({
                url: "/v1/openapi.json",
                dom_id: '#swagger-ui',
                deepLinking: true,
                presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
                plugins: [SwaggerUIBundle.plugins.DownloadUrl],
                layout: "StandaloneLayout"
              });
            };
            """;

    /** Decodes an act (or act-batch) body, queues it on the policy's batcher; the answer once the batch ran. */
    private CompletableFuture<HttpResponse> act(ServedPolicy policy, JsonNode body, boolean batch) {
        ActRequest request = ActRequest.read(body, policy.source().spec().observationSpace(), batch);
        RandomGenerator rng = request.seed().isPresent() ? new SplittableRandom(request.seed().getAsLong())
                : nextRandom();
        CompletableFuture<Inference> inference = policy.submit(request.observations());
        return inference.handleAsync((r, failure) -> {
            if (failure != null) {
                return failure(failure);
            }
            policy.observeServed(request.observations(), r);
            return response(StatusCodes.OK, batch ? batchAnswer(request, r, rng) : answer(request, r, rng));
        }, encoders);
    }

    /**
     * A route that changes state without the admin token takes JSON only: a browser sends a cross-site form or
     * text/plain POST without asking first (no CORS preflight), so any web page could otherwise post to this loopback
     * service; a JSON body makes it ask, and nothing here answers that question.
     */
    private Route jsonOnly(Supplier<Route> inner) {
        return extractRequestEntity(entity -> entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)
                ? inner.get() : complete(response(StatusCodes.UNSUPPORTED_MEDIA_TYPE, new ErrorBody("this route "
                + "takes a JSON body (Content-Type: application/json), got " + entity.getContentType()))));
    }

    /** {@code {"return": R}}: one episode's return, tracked against the reference's evaluation return. */
    private Route feedback(ServedPolicy policy, JsonNode body) {
        return withDrift(policy, monitor -> {
            Feedback f;
            try {
                f = JSON.treeToValue(body, Feedback.class);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                f = null;
            }
            if (f == null || f.episodeReturn() == null || !Double.isFinite(f.episodeReturn())) {
                return complete(response(StatusCodes.BAD_REQUEST, new ErrorBody("the body must be {\"return\": R} "
                        + "with R an episode's return (a finite number), got " + body, "return", null)));
            }
            monitor.feedback(f.episodeReturn());
            return json(StatusCodes.ACCEPTED, drift(policy.name(), monitor));
        });
    }

    private Route withDrift(ServedPolicy policy, Function<DriftMonitor, Route> inner) {
        return policy.drift().map(inner).orElseGet(() -> complete(response(StatusCodes.CONFLICT, new ErrorBody(
                "policy '" + policy.name() + "' has no reference profile: drift monitoring is off for it "
                        + "(troupe.serving.drift.enabled, or a reference-profile.json beside the model)"))));
    }

    private static Drift drift(String name, DriftMonitor monitor) {
        DriftMonitor.Report r = monitor.report();
        return new Drift(name, r.rows(), r.windowRows(), monitor.reference().features().stream()
                .map(ReferenceProfile.Feature::name).toList(), r.featurePsi(), r.featureKs(), r.featureKsP(),
                r.actionPsi(), r.valuePsi(), monitor.reference().evalReturn(),
                monitor.referenceVersion() < 0 ? null : monitor.referenceVersion(), r.feedbackEpisodes(),
                Double.isNaN(r.meanFeedbackReturn()) ? null : r.meanFeedbackReturn(), r.pageHinkley(), r.alarms());
    }

    private synchronized RandomGenerator nextRandom() {
        return seeds.split();
    }

    private static Act answer(ActRequest request, Inference r, RandomGenerator rng) {
        Decision d = Decision.of(r, 0, request.deterministic(), rng);
        return new Act(d.action(), r.version(), request.outputs().contains(Output.PROBS) ? d.probs() : null,
                request.outputs().contains(Output.VALUE) ? d.value() : null,
                request.outputs().contains(Output.LOGP) ? d.logp() : null);
    }

    private static ActBatch batchAnswer(ActRequest request, Inference r, RandomGenerator rng) {
        int n = r.rows();
        int[] actions = new int[n];
        double[][] probs = request.outputs().contains(Output.PROBS) ? new double[n][] : null;
        float[] values = request.outputs().contains(Output.VALUE) ? new float[n] : null;
        double[] logp = request.outputs().contains(Output.LOGP) ? new double[n] : null;
        for (int i = 0; i < n; i++) {
            Decision d = Decision.of(r, i, request.deterministic(), rng);
            actions[i] = d.action();
            if (probs != null) {
                probs[i] = d.probs();
            }
            if (values != null) {
                values[i] = d.value();
            }
            if (logp != null) {
                logp[i] = d.logp();
            }
        }
        return new ActBatch(actions, r.version(), probs, values, logp);
    }

    private Route load(JsonNode body) {
        String name = text(body, "name");
        String path = text(body, "checkpoint");
        ServedPolicy.checkName(name);
        if (registry.find(name).isPresent()) {
            return json(StatusCodes.CONFLICT, new ErrorBody("a policy named '" + name + "' is served already; "
                    + "unload it first (DELETE /v1/policies/" + name + ") or choose another name"));
        }
        return completeWithFuture(loader.load(name, path).handle((p, failure) -> {
            if (failure != null) {
                return failure(failure);
            }
            try {
                registry.add(p);
            } catch (IllegalArgumentException e) {
                p.close();
                return response(StatusCodes.CONFLICT, new ErrorBody(e.getMessage()));
            }
            return response(StatusCodes.CREATED, p.info());
        }));
    }

    private Route pin(ServedPolicy policy, JsonNode body) {
        JsonNode v = body.get("version");
        if (v != null && v.isTextual() && v.asText().equals("served")) {
            long pinned = policy.pinServed();
            return json(StatusCodes.OK, new Pin(policy.name(), pinned, policy.version()));
        }
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            throw new IllegalArgumentException("version: expected the policy version to pin (an integer >= 0) or "
                    + "\"served\" (the version served now), found " + (v == null ? "nothing" : v.toString()));
        }
        policy.pin(v.longValue());
        return json(StatusCodes.OK, new Pin(policy.name(), v.longValue(), policy.version()));
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(field + ": expected a string, found " + (v == null ? "nothing"
                    : v.toString()));
        }
        return v.asText();
    }

    private Route withPolicy(String name, Function<ServedPolicy, Route> inner) {
        Optional<ServedPolicy> p = registry.find(name);
        return p.isPresent() ? inner.apply(p.get()) : complete(failure(new UnknownPolicyException(name,
                registry.names())));
    }

    /**
     * The JSON body (at most {@code max-body-size}), parsed; a body that is not JSON is a 400. While it is read, the
     * request's {@link #BODY_PENDING} flag is up, so that the request timeout blames the client.
     */
    private Route body(Function<JsonNode, Route> handler) {
        return extractRequest(request -> extractRequestEntity(entity -> {
            OptionalLong length = entity.getContentLengthOption();
            if (length.isPresent() && length.getAsLong() > settings.maxBodyBytes()) {
                if (length.getAsLong() > MAX_DRAINED_BODY) {
                    return complete(tooLarge()); // answered at once; the connection closes with the body unread
                }
                // read the body before answering: a connection closed with unread bytes is reset, and a reset can
                // reach the client before it has read the 413
                return extractMaterializer(mat -> onComplete(entity.discardBytes(mat).completionStage(),
                        done -> complete(tooLarge())));
            }
            Optional<AtomicBoolean> pending = request.getAttribute(BODY_PENDING);
            pending.ifPresent(p -> p.set(true));
            return extractMaterializer(mat -> onComplete(entity.toStrict(settings.batcher().requestTimeout()
                    .toMillis(), settings.maxBodyBytes(), mat), strict -> {
                pending.ifPresent(p -> p.set(false));
                try {
                    if (strict.isFailure()) {
                        throw bodyError(strict.failed().get());
                    }
                    return handler.apply(parse(strict.get().getData()));
                } catch (RuntimeException e) {
                    return complete(failure(e));
                }
            }));
        }));
    }

    /**
     * A body as JSON; one that is not JSON, or empty, is an {@link IllegalArgumentException} (a 400). Read as a stream
     * over the entity's bytes: a strict entity's data is usually a slice of a larger buffer, which an array would copy.
     */
    private static JsonNode parse(ByteString body) {
        JsonNode json;
        try {
            json = JSON.readTree(body.asInputStream());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (json == null || json.isMissingNode()) {
            throw new IllegalArgumentException("the body is empty; expected a JSON object");
        }
        return json;
    }

    private Route inference(Supplier<Route> inner) {
        return settings.token().isEmpty() ? inner.get() : optionalHeaderValueByName("Authorization", header -> {
            HttpResponse refused = inferenceRefusal(header);
            return refused == null ? inner.get() : complete(refused);
        });
    }

    /** The 401 for an inference request without the serving token, when one is configured; null when it may pass. */
    private HttpResponse inferenceRefusal(Optional<String> authorization) {
        return settings.token().isEmpty() ? null : bearerRefusal(settings.token().get(), "the serving token ("
                + ServingSettings.TOKEN_VARIABLE + ")", authorization);
    }

    private Route admin(Supplier<Route> inner) {
        if (settings.adminToken().isEmpty()) {
            return complete(unauthorized("no admin token is configured on this server (set "
                    + ServingSettings.ADMIN_TOKEN_VARIABLE + " before starting it): loading, unloading and pinning "
                    + "are refused"));
        }
        return bearer(settings.adminToken().get(), "the admin token (" + ServingSettings.ADMIN_TOKEN_VARIABLE + ")",
                inner);
    }

    private Route bearer(String token, String what, Supplier<Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            HttpResponse refused = bearerRefusal(token, what, header);
            return refused == null ? inner.get() : complete(refused);
        });
    }

    /** The 401 for an Authorization header without {@code token} ({@code what} names it); null when it passes. */
    private HttpResponse bearerRefusal(String token, String what, Optional<String> header) {
        return switch (BearerToken.check(token, header)) {
            case ACCEPTED -> null;
            case MISSING -> unauthorized("this request needs the header 'Authorization: Bearer <token>' with " + what);
            case INVALID -> unauthorized("the bearer token is not valid; this request needs " + what);
        };
    }

    private HttpResponse unauthorized(String message) {
        return response(StatusCodes.UNAUTHORIZED, new ErrorBody(message))
                .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"troupe-serving\""));
    }

    private HttpResponse tooLarge() {
        return response(StatusCodes.PAYLOAD_TOO_LARGE, new ErrorBody("the request body is larger than "
                + settings.maxBodyBytes() + " bytes (troupe.serving.max-body-size)"));
    }

    /**
     * The answer to a failed request: 400 for bad input, 404 for an unknown policy, 503 for a full queue or no answer
     * within the request timeout.
     */
    private HttpResponse failure(Throwable t) {
        Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (e instanceof QueueFullException || e instanceof RequestTimeoutException) {
            return response(StatusCodes.SERVICE_UNAVAILABLE, new ErrorBody(e.getMessage()))
                    .addHeader(RawHeader.create("Retry-After", Long.toString(settings.retryAfter().toSeconds())));
        }
        if (e instanceof EntityStreamSizeException) {
            return tooLarge();
        }
        if (e instanceof BodyTimeoutException) {
            return response(StatusCodes.REQUEST_TIMEOUT, new ErrorBody("the request body did not arrive whole within "
                    + settings.batcher().requestTimeout().toMillis() + " ms (troupe.serving.request-timeout)"));
        }
        if (e instanceof UnknownPolicyException u) {
            return response(StatusCodes.NOT_FOUND, new ErrorBody(u.getMessage(), null, u.known()));
        }
        if (e instanceof FieldException f) {
            return response(StatusCodes.BAD_REQUEST, new ErrorBody(f.getMessage(), f.field(), null));
        }
        if (e instanceof ObservationException o) {
            return response(StatusCodes.BAD_REQUEST, new ErrorBody(o.getMessage(), o.path(), null));
        }
        if (e instanceof IllegalArgumentException) {
            return response(StatusCodes.BAD_REQUEST, new ErrorBody(e.getMessage()));
        }
        if (e instanceof IllegalStateException) {
            return response(StatusCodes.SERVICE_UNAVAILABLE, new ErrorBody(e.getMessage()));
        }
        LOG.log(System.Logger.Level.ERROR, "a request failed inside the service (answered 500)", e);
        return response(StatusCodes.INTERNAL_SERVER_ERROR, new ErrorBody("internal error: " + e));
    }

    private Route json(StatusCode code, Object body) {
        return complete(response(code, body));
    }

    private static HttpResponse response(StatusCode code, Object body) {
        try {
            return HttpResponse.create().withStatus(code).withEntity(ContentTypes.APPLICATION_JSON,
                    JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
