package io.troupe.cluster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The event-loop client, open and closed loop, against a Pekko HTTP server (the serving API's server) on loopback. */
class EventLoopClientTest {
    private static ActorSystem<Void> system;

    @BeforeAll
    static void startSystem() {
        system = ActorSystem.create(Behaviors.empty(), "event-loop-client-test");
    }

    @AfterAll
    static void stopSystem() throws Exception {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /**
     * Answers 200 to a non-empty body and 400 to an empty one; request number {@code stallAt} (1-based) after 300 ms,
     * or every request after {@code delayMs} when that is above 0.
     */
    private static final class Server extends AllDirectives {
        final AtomicInteger seen = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        private final int stallAt;
        private final int delayMs;

        Server(int stallAt) {
            this(stallAt, 0);
        }

        Server(int stallAt, int delayMs) {
            this.stallAt = stallAt;
            this.delayMs = delayMs;
        }

        Route route() {
            return path("act", () -> post(() -> entity(Unmarshaller.entityToByteString(), body ->
                    completeWithFuture(answer(body.isEmpty())))));
        }

        private CompletableFuture<HttpResponse> answer(boolean empty) {
            HttpResponse response = empty ? HttpResponse.create().withStatus(StatusCodes.BAD_REQUEST)
                    : HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, "{\"action\":1}");
            int n = seen.incrementAndGet();
            if (n != stallAt && delayMs == 0) {
                return CompletableFuture.completedFuture(response);
            }
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            // the server's own slowness, the thing measured: this answer leaves later
            CompletableFuture<HttpResponse> later = new CompletableFuture<>();
            system.scheduler().scheduleOnce(Duration.ofMillis(n == stallAt ? 300 : delayMs), () -> {
                inFlight.decrementAndGet();
                later.complete(response);
            }, system.executionContext());
            return later;
        }
    }

    private static <T> T against(Server server, ClientRun<T> run) throws Exception {
        ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(server.route())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            return run.apply(binding.localAddress().getPort());
        } finally {
            binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }

    private interface ClientRun<T> {
        T apply(int port) throws Exception;
    }

    @Test
    void sendsEveryDueRequestAndTimesEachAnswer() throws Exception {
        Server server = new Server(-1);
        LoadClient.Run run = against(server, port -> new EventLoopClient("127.0.0.1", port, "/act",
                "{\"observation\":[1,2,3,4]}").run(4, 400, 0.25, 0.5));
        // 0.75 s at 400/s: 300 requests sent, the last 200 measured
        assertEquals(300, server.seen.get());
        assertEquals(200, run.ok(), run.toString());
        assertEquals(0, run.failed());
        assertEquals(200, run.latencies().length);
        assertTrue(Arrays.stream(run.latencies()).allMatch(l -> l > 0), "every latency is positive");
        assertTrue(run.quantileMs(0.99) >= run.quantileMs(0.5));
    }

    @Test
    void requestsDueWhileTheServerStallsCountFromWhenTheyWereDue() throws Exception {
        LoadClient.Run run = against(new Server(10), port -> new EventLoopClient("127.0.0.1", port, "/act",
                "{\"observation\":[1,2,3,4]}").run(1, 100, 0, 1.0));
        assertEquals(100, run.ok(), run.toString());
        long[] sorted = run.latencies().clone();
        Arrays.sort(sorted);
        // one connection at 100/s through a 300 ms stall: the stalled request waits 300 ms, and the ~30 requests due
        // behind it are sent late and answered in a burst, each counted from its due time (300, 290, ... ms)
        assertTrue(sorted[sorted.length - 1] >= 290_000_000L, "the stalled request: " + sorted[sorted.length - 1]);
        long late = Arrays.stream(sorted).filter(l -> l >= 100_000_000L).count();
        assertTrue(late >= 15, late + " requests waited >= 100 ms behind the stall");
        assertTrue(run.quantileMs(0.99) >= 250, "p99 " + run.quantileMs(0.99));
    }

    @Test
    void non2xxAnswersAreCountedAsFailedNotTimed() throws Exception {
        Server server = new Server(-1);
        LoadClient.Run run = against(server, port -> new EventLoopClient("127.0.0.1", port, "/act", "")
                .run(2, 200, 0, 0.25));
        assertEquals(50, server.seen.get());
        assertEquals(0, run.ok());
        assertEquals(50, run.failed());
        assertEquals(0, run.latencies().length);
    }

    @Test
    void theClosedLoopKeepsEveryConnectionBusyAndNoMore() throws Exception {
        Server server = new Server(-1, 25);
        LoadClient.Run run = against(server, port -> new EventLoopClient("127.0.0.1", port, "/act",
                "{\"observation\":[1,2,3,4]}").closed(4, 0.1, 0.5));
        // each connection has its next request in flight as soon as its last is answered: 4 at once, never more, and
        // at most one answer per 25 ms per connection (the scheduler may only add to the delay)
        assertEquals(4, server.maxInFlight.get(), "requests in flight at once");
        assertEquals(0, run.failed(), run.toString());
        assertTrue(run.ok() > 0 && run.ok() <= 4 * 0.5 / 0.025 + 4, run.ok() + " answers in 0.5 s");
        assertEquals(run.ok(), run.latencies().length);
        assertTrue(Arrays.stream(run.latencies()).allMatch(l -> l >= 25_000_000L), "no answer came before 25 ms");
        assertTrue(server.seen.get() >= run.ok() + 4, "the warm-up's requests were sent and not counted");
    }

    @Test
    void theClosedLoopWaitsOutAStallOnItsOnlyConnection() throws Exception {
        Server server = new Server(3);
        LoadClient.Run run = against(server, port -> new EventLoopClient("127.0.0.1", port, "/act",
                "{\"observation\":[1,2,3,4]}").closed(1, 0, 0.6));
        long[] sorted = run.latencies().clone();
        Arrays.sort(sorted);
        // one connection: nothing is sent while its request stalls, so exactly one answer took the 300 ms
        assertTrue(sorted[sorted.length - 1] >= 290_000_000L, "the stalled request: " + sorted[sorted.length - 1]);
        assertTrue(sorted[sorted.length - 2] < 290_000_000L, "one stalled request, found more: "
                + Arrays.toString(Arrays.copyOfRange(sorted, sorted.length - 3, sorted.length)));
        assertEquals(server.seen.get(), run.ok(), "every request sent was answered and counted");
    }

    @Test
    void badArgumentsAreRefusedNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EventLoopClient("127.0.0.1", 1, "/act", "{}").run(0, 10, 0, 1));
        assertTrue(e.getMessage().contains("0 connections"), e.getMessage());
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> new EventLoopClient("127.0.0.1", 1, "/act", "{}").run(2, 0, 0, 1));
        assertTrue(rate.getMessage().contains("rate > 0"), rate.getMessage());
    }
}
