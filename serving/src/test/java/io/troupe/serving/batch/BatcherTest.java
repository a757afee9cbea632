package io.troupe.serving.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.troupe.core.DType;
import io.troupe.core.FloatTensor;
import io.troupe.core.Observation;
import io.troupe.core.PolicyWeights;
import io.troupe.core.space.Box;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BatcherTest {
    private static final Box SPACE = Box.uniform(-10, 10, DType.FLOAT32, 1);
    /** The request timeout of the tests that are not about it. */
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private static Observation obs(float x) {
        return Observation.of(FloatTensor.of(x));
    }

    private static Batcher batcher(ScalingPolicy policy, int queue, int maxBatch, Duration delay) {
        return new Batcher("test", SPACE, new BatcherSettings(queue, maxBatch, delay, 1, MINUTE), List.of(policy), 0,
                BatchListener.NONE);
    }

    @Test
    void queuedRequestsFormBatchesUpToTheMaximumSizeAndNothingIsLost() throws Exception {
        ScalingPolicy policy = new ScalingPolicy(1);
        policy.hold = new CountDownLatch(1);
        try (Batcher b = batcher(policy, 100, 8, Duration.ZERO)) {
            CompletableFuture<Inference> first = b.submit(List.of(obs(0)));
            assertTrue(policy.entered.await(10, TimeUnit.SECONDS)); // the worker is inside the first pass
            List<CompletableFuture<Inference>> rest = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                rest.add(b.submit(List.of(obs(i))));
            }
            policy.hold.countDown();
            assertEquals(1, first.get(10, TimeUnit.SECONDS).batchRows());
            for (int i = 0; i < rest.size(); i++) {
                Inference r = rest.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(i + 1, r.logits()[0], "request " + (i + 1) + " got another row's answer");
            }
            // 20 queued requests in passes of at most 8: 8, 8, 4
            assertEquals(List.of(1, 8, 8, 4), policy.passes.stream().map(ScalingPolicy.Pass::rows).toList());
        }
    }

    @Test
    void aWorkerWaitsUpToTheDelayForMoreRequests() throws Exception {
        ScalingPolicy policy = new ScalingPolicy(1);
        try (Batcher b = batcher(policy, 100, 4, Duration.ofSeconds(30))) {
            List<CompletableFuture<Inference>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(b.submit(List.of(obs(i))));
            }
            // three requests, a long delay: the worker holds them until a fourth fills the batch
            assertFalse(results.get(0).isDone());
            results.add(b.submit(List.of(obs(3))));
            for (CompletableFuture<Inference> r : results) {
                assertEquals(4, r.get(10, TimeUnit.SECONDS).batchRows());
            }
        }
    }

    @Test
    void aShortDelayRunsAPartialBatch() throws Exception {
        ScalingPolicy policy = new ScalingPolicy(1);
        try (Batcher b = batcher(policy, 100, 64, Duration.ofMillis(20))) {
            long start = System.nanoTime();
            Inference r = b.submit(List.of(obs(2), obs(3))).get(10, TimeUnit.SECONDS);
            long waited = System.nanoTime() - start;
            assertEquals(2, r.batchRows());
            assertTrue(waited >= Duration.ofMillis(20).toNanos(), "ran before the delay: " + waited + " ns");
        }
    }

    @Test
    void aFullQueueRefusesAtOnce() throws Exception {
        ScalingPolicy policy = new ScalingPolicy(1);
        policy.hold = new CountDownLatch(1);
        try (Batcher b = batcher(policy, 2, 1, Duration.ZERO)) {
            CompletableFuture<Inference> running = b.submit(List.of(obs(1)));
            assertTrue(policy.entered.await(10, TimeUnit.SECONDS));
            CompletableFuture<Inference> q1 = b.submit(List.of(obs(2)));
            CompletableFuture<Inference> q2 = b.submit(List.of(obs(3)));
            CompletableFuture<Inference> refused = b.submit(List.of(obs(4)));
            assertTrue(refused.isCompletedExceptionally(), "a full queue must answer at once");
            ExecutionException e = assertThrows(ExecutionException.class, refused::get);
            assertInstanceOf(QueueFullException.class, e.getCause());
            assertEquals(2, b.queueDepth());
            policy.hold.countDown();
            assertEquals(1f, running.get(10, TimeUnit.SECONDS).logits()[0]);
            assertEquals(2f, q1.get(10, TimeUnit.SECONDS).logits()[0]);
            assertEquals(3f, q2.get(10, TimeUnit.SECONDS).logits()[0]);
        }
    }

    @Test
    void weightsChangeOnlyBetweenBatchesAndResultsCarryTheirVersion() throws Exception {
        ScalingPolicy policy = new ScalingPolicy(1);
        policy.hold = new CountDownLatch(1);
        try (Batcher b = batcher(policy, 100, 4, Duration.ZERO)) {
            CompletableFuture<Inference> before = b.submit(List.of(obs(1)));
            assertTrue(policy.entered.await(10, TimeUnit.SECONDS)); // mid-pass with weight 1, version 0
            assertTrue(b.update(ScalingPolicy.weights(7, 3)));
            CompletableFuture<Inference> after = b.submit(List.of(obs(1)));
            policy.hold.countDown();
            Inference r0 = before.get(10, TimeUnit.SECONDS);
            assertEquals(0, r0.version());
            assertEquals(1f, r0.values()[0]); // the pass that was running kept its weights
            Inference r1 = after.get(10, TimeUnit.SECONDS);
            assertEquals(7, r1.version());
            assertEquals(3f, r1.values()[0]);
            // an older version than the newest published is ignored
            assertFalse(b.update(ScalingPolicy.weights(5, 9)));
            assertEquals(7, b.submit(List.of(obs(1))).get(10, TimeUnit.SECONDS).version());
        }
    }

    @Test
    void refusedWeightsAreReportedAndTheOldVersionKeepsServing() throws Exception {
        ScalingPolicy policy = new ScalingPolicy(2);
        AtomicInteger refused = new AtomicInteger();
        BatchListener listener = new BatchListener() {
            @Override
            public void weightsRefused(int worker, PolicyWeights weights, RuntimeException why) {
                refused.incrementAndGet();
            }
        };
        try (Batcher b = new Batcher("test", SPACE, new BatcherSettings(10, 4, Duration.ZERO, 1, MINUTE),
                List.of(policy), 3, listener)) {
            b.update(new PolicyWeights("another-model", 4, new byte[] {1}));
            Inference r = b.submit(List.of(obs(1))).get(10, TimeUnit.SECONDS);
            assertEquals(3, r.version());
            assertEquals(2f, r.values()[0]);
            assertEquals(1, refused.get());
        }
    }

    @Test
    void manyClientsOnSeveralWorkersGetEveryAnswerAndVersionsNeverGoBackwards() throws Exception {
        List<ScalingPolicy> replicas = List.of(new ScalingPolicy(1), new ScalingPolicy(1), new ScalingPolicy(1));
        try (Batcher b = new Batcher("test", SPACE, new BatcherSettings(10_000, 16, Duration.ofMillis(1), 3, MINUTE),
                replicas, 0, BatchListener.NONE)) {
            int clients = 8;
            int perClient = 300;
            List<Thread> threads = new ArrayList<>();
            List<String> problems = new CopyOnWriteArrayList<>();
            AtomicInteger answered = new AtomicInteger();
            for (int c = 0; c < clients; c++) {
                int client = c;
                threads.add(new Thread(() -> {
                    long last = -1;
                    for (int i = 0; i < perClient; i++) {
                        float x = client * 1000 + i;
                        try {
                            Inference r = b.submit(List.of(obs(x))).join();
                            if (r.logits()[0] != x * r.values()[0]) {
                                problems.add("client " + client + " request " + i + " got another row's answer");
                            }
                            if (r.version() < last) {
                                problems.add("client " + client + " went from v" + last + " to v" + r.version());
                            }
                            last = r.version();
                            answered.incrementAndGet();
                        } catch (CompletionException e) {
                            problems.add(e.getCause().toString());
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (int v = 1; v <= 20; v++) {
                b.update(ScalingPolicy.weights(v, v % 5 + 1));
            }
            for (Thread t : threads) {
                t.join(60_000);
            }
            assertEquals(List.of(), problems);
            assertEquals(clients * perClient, answered.get());
        }
    }

    @Test
    void anObservationOfAnotherShapeIsRefusedNamingTheField() {
        try (Batcher b = batcher(new ScalingPolicy(1), 10, 4, Duration.ZERO)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.submit(List.of(Observation.of(FloatTensor.of(1, 2)))));
            assertTrue(e.getMessage().contains("'obs'"), e.getMessage());
        }
    }

    @Test
    void requestsUnansweredWithinTheTimeoutFailAndTheWorkerServesTheNextOnes() throws Exception {
        ScalingPolicy policy = new ScalingPolicy(1);
        CountDownLatch first = new CountDownLatch(1);
        policy.hold = first;
        Duration timeout = Duration.ofSeconds(1);
        AtomicInteger timedOut = new AtomicInteger();
        BatchListener listener = new BatchListener() {
            @Override
            public void timedOut() {
                timedOut.incrementAndGet();
            }
        };
        try (Batcher b = new Batcher("test", SPACE, new BatcherSettings(10, 2, Duration.ZERO, 1, timeout),
                List.of(policy), 0, listener)) {
            b.submit(List.of(obs(0)));
            assertTrue(policy.entered.await(10, TimeUnit.SECONDS));
            long queued = System.nanoTime();
            CompletableFuture<Inference> inPass = b.submit(List.of(obs(1)));
            CompletableFuture<Inference> carried = b.submit(List.of(obs(2), obs(2))); // 1 + 2 rows > 2: carried
            // the next pass takes the first request and holds the second for the pass after it, then stays held for
            // as long as the test likes: both time out all the same, and so does one still in the queue
            policy.entered = new CountDownLatch(1);
            policy.hold = new CountDownLatch(1);
            first.countDown();
            assertTrue(policy.entered.await(10, TimeUnit.SECONDS));
            CompletableFuture<Inference> queuedBehind = b.submit(List.of(obs(3)));
            for (CompletableFuture<Inference> f : List.of(inPass, carried, queuedBehind)) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertInstanceOf(RequestTimeoutException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("troupe.serving.request-timeout"),
                        e.getCause().getMessage());
            }
            assertTrue(System.nanoTime() - queued >= timeout.toNanos(), "failed before the timeout");
            assertEquals(0, b.queueDepth());
            policy.hold.countDown();
            assertEquals(4, b.submit(List.of(obs(4))).get(10, TimeUnit.SECONDS).logits()[0]);
            assertEquals(List.of(1, 1, 1), policy.passes.stream().map(ScalingPolicy.Pass::rows).toList()
                    .subList(0, 3), "the carried request was dropped, not run, once it had timed out");
            assertEquals(3, timedOut.get(), "each timed-out request reported once, before its future failed");
        }
    }

    @Test
    void theRequestTimeoutMustBeLongerThanTheBatchDelay() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BatcherSettings(10, 4, Duration.ofSeconds(2), 1, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("troupe.serving.request-timeout"), e.getMessage());
    }
}
