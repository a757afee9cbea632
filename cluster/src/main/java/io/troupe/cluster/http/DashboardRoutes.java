package io.troupe.cluster.http;

import io.troupe.cluster.json.JsonCodec;
import io.troupe.cluster.monitor.MetricsHistory;
import io.troupe.cluster.monitor.Resources;
import io.troupe.serving.http.ServingApi.PolicyList;
import io.troupe.serving.http.ServingRoutes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The dashboard on the admin port: its static page ({@code /}, {@code /dashboard/*}, uPlot from its webjar) and one
 * server-sent event stream. Everything here is a read; the page's pause and resume buttons call the admin API's
 * mutating routes with the token the user pastes, so they are refused without it like any other client.
 *
 * <pre>
 * GET /                        the dashboard page
 * GET /dashboard/{file}        its script and style sheet; /dashboard/uplot/{file}: uPlot
 * GET /troupe/events           server-sent events, one "update" per second: the learning-curve points the stream has
 *                              not sent yet (all held ones first) and this process's resources
 * GET /troupe/serving/policies, /troupe/serving/metrics, /troupe/serving/policies/{name}/drift
 *                              the serving panel's reads when this node runs the serve role (the serving port's
 *                              GET /v1/policies, /metrics and drift); without it, no policies and no metrics
 * </pre>
 */
final class DashboardRoutes extends AllDirectives {
    /** The page's files (class path: the serving module's, which serves the same page on its own port). */
    static final String PAGE = ServingRoutes.DASHBOARD;
    /** uPlot's files in its webjar (org.webjars.npm:uplot, on the class path). */
    static final String UPLOT = ServingRoutes.UPLOT;
    /** How often a stream sends an update. */
    static final Duration UPDATE_EVERY = Duration.ofSeconds(1);

    /** One event: new points (each with its {@code seq}) and the process's resources. */
    record Update(List<Map<String, Double>> points, long lastSeq, Resources resources) {
    }

    private final MetricsHistory history;
    /** The serve role's reads ({@code ServingRoutes.monitoringReads}), when this node serves. */
    private final Optional<Route> serving;

    DashboardRoutes(MetricsHistory history, Optional<Route> serving) {
        this.history = history;
        this.serving = serving;
    }

    Route route() {
        return get(() -> concat(
                pathSingleSlash(() -> getFromResource(PAGE + "/index.html")),
                pathPrefix("dashboard", () -> concat(
                        pathPrefix("uplot", () -> getFromResourceDirectory(UPLOT)),
                        getFromResourceDirectory(PAGE))),
                path(PathMatchers.segment("troupe").slash("events"), this::events),
                pathPrefix(PathMatchers.segment("troupe").slash("serving"), () -> serving.orElseGet(() -> concat(
                        path("policies", () -> complete(HttpResponse.create().withEntity(
                                ContentTypes.APPLICATION_JSON, JsonCodec.write(new PolicyList(List.of()))))),
                        path("metrics", () -> complete(HttpResponse.create().withEntity(
                                ContentTypes.TEXT_PLAIN_UTF8, ""))))))));
    }

    /** A stream of its own per request: it remembers the last point it sent. */
    private Route events() {
        return extractRequest(request -> {
            AtomicLong sent = new AtomicLong(-1);
            Source<ServerSentEvent, NotUsed> updates = Source.tick(Duration.ZERO, UPDATE_EVERY, "tick")
                    .map(tick -> ServerSentEvent.create(JsonCodec.write(update(sent)), "update"))
                    .mapMaterializedValue(cancellable -> NotUsed.notUsed());
            return completeOK(updates, EventStreamMarshalling.toEventStream());
        });
    }

    private Update update(AtomicLong sent) {
        List<Map<String, Double>> points = new ArrayList<>();
        for (MetricsHistory.Point p : history.since(sent.get())) {
            Map<String, Double> values = new LinkedHashMap<>(p.values());
            values.put("seq", (double) p.seq());
            points.add(values);
            sent.set(p.seq());
        }
        return new Update(points, sent.get(), Resources.sample());
    }
}
