package io.troupe.serving.batch;

import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.core.Shapes;
import io.troupe.core.Tensor;
import io.troupe.core.space.Space;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Dynamic batching as Triton, TF Serving and DJL Serving do it, in plain Java: requests wait in one bounded queue
 * ({@code job-queue-size}); each of N workers owns a model replica on a thread of its own, takes the first waiting
 * request, gathers more until the batch holds {@code max-batch-size} observations or {@code max-batch-delay} has passed
 * since it took the first, and runs one forward pass. A full queue refuses a request at once ({@link
 * QueueFullException}), so overload is an answer, never a growing wait.
 *
 * <p>New weights ({@link #update}) are published as one value; a worker applies the newest at the start of its next
 * batch, never during one, and every result carries the version that computed it. Because a batch reads the newest
 * weights only after its first request is in hand, a request sent after another was answered with version v is
 * answered with v or newer, whatever worker takes it. A request of more rows than {@code max-batch-size} runs alone.
 *
 * <p>A request not answered within {@code request-timeout} of being queued, whether still queued or in a forward pass
 * that has run that long, fails with {@link RequestTimeoutException}: one thread checks every tenth of that timeout.
 * This is the service's request timeout; Pekko HTTP's own (a timer task scheduled for every request, which its
 * scheduler keeps until the timeout would have passed even once the request is answered) is off on the serving port,
 * since those tasks, alive for 20 s at tens of thousands of requests a second, were what the young collections
 * copied (README, Serving bench).
 */
public final class Batcher implements AutoCloseable {
    /** One request: a class, not a record, so that taking it out of the queue compares identities, not rows. */
    private static final class Job {
        final List<Observation> rows;
        final CompletableFuture<Inference> result;
        final long queuedNanos;

        Job(List<Observation> rows, CompletableFuture<Inference> result, long queuedNanos) {
            this.rows = rows;
            this.result = result;
            this.queuedNanos = queuedNanos;
        }

        /** Whoever settles the job first (an answer, a failure, the timeout) is the only one that completes it. */
        private final AtomicBoolean settled = new AtomicBoolean();

        boolean overdue(long now, long timeoutNanos) {
            return now - queuedNanos >= timeoutNanos;
        }

        /** Takes the right to complete the job: true once, for the first caller. */
        boolean settle() {
            return settled.compareAndSet(false, true);
        }

        boolean isSettled() {
            return settled.get();
        }

        void answer(Inference inference) {
            if (settle()) {
                result.complete(inference);
            }
        }

        void fail(Throwable e) {
            if (settle()) {
                result.completeExceptionally(e);
            }
        }
    }

    private final String name;
    private final BatcherSettings settings;
    private final List<ObservationBatch.Modality> modalities;
    private final Space space;
    private final BlockingQueue<Job> queue;
    private final AtomicReference<PolicyWeights> latest = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Worker> workers = new ArrayList<>();
    private final ScheduledExecutorService deadlines;
    private final List<Policy> replicas;
    private final BatchListener listener;
    private final long initialVersion;
    private volatile boolean running = true;

    /**
     * Starts one worker per replica ({@code replicas.size()} must equal {@code settings.workers()}); the batcher owns
     * and closes them. {@code version} is the version the replicas hold now.
     */
    public Batcher(String name, Space observationSpace, BatcherSettings settings, List<? extends Policy> replicas,
                   long version, BatchListener listener) {
        if (replicas.size() != settings.workers()) {
            throw new IllegalArgumentException("the batcher of '" + name + "' has " + settings.workers()
                    + " workers (troupe.serving.workers) but " + replicas.size() + " model replicas");
        }
        this.name = name;
        this.settings = settings;
        this.space = observationSpace;
        this.modalities = ObservationBatch.modalitiesOf(observationSpace);
        this.queue = new ArrayBlockingQueue<>(settings.jobQueueSize());
        this.replicas = List.copyOf(replicas);
        this.listener = listener;
        this.initialVersion = version;
        for (int w = 0; w < replicas.size(); w++) {
            Worker worker = new Worker(w, replicas.get(w), version);
            Thread t = new Thread(worker::run, "troupe-serve-" + name + "-worker-" + w);
            t.setDaemon(true);
            workers.add(worker);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "troupe-serve-" + name + "-deadlines");
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(1_000_000L, settings.requestTimeout().toNanos() / 10);
        deadlines.scheduleWithFixedDelay(this::failOverdue, tick, tick, TimeUnit.NANOSECONDS);
    }

    /**
     * Queues {@code observations} (one request, answered together); the future completes on a worker thread. A full
     * queue fails the future at once with {@link QueueFullException}; observations that do not fit the space are
     * refused here with an {@link IllegalArgumentException}.
     */
    public CompletableFuture<Inference> submit(List<Observation> observations) {
        if (observations.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one observation");
        }
        for (Observation o : observations) {
            check(o);
        }
        CompletableFuture<Inference> result = new CompletableFuture<>();
        Job job = new Job(List.copyOf(observations), result, System.nanoTime());
        if (!running) {
            result.completeExceptionally(new IllegalStateException("policy '" + name + "' is shutting down"));
        } else if (!queue.offer(job)) {
            result.completeExceptionally(new QueueFullException(name, settings.jobQueueSize()));
        } else if (!running && queue.remove(job)) { // close() drained the queue while this was being queued
            result.completeExceptionally(new IllegalStateException("policy '" + name + "' is shutting down"));
        }
        return result;
    }

    /**
     * Fails every request older than {@code request-timeout}: those still queued (the oldest are at the head), those in
     * a forward pass that has run that long, and the one a worker holds for its next batch behind such a pass.
     */
    private void failOverdue() {
        try {
            failOverdue(System.nanoTime());
        } catch (RuntimeException e) { // a throw would cancel the periodic check for good
            System.getLogger(Batcher.class.getName()).log(System.Logger.Level.ERROR,
                    "policy '" + name + "': the request-timeout check failed; it runs again next tick", e);
        }
    }

    private void failOverdue(long now) {
        long timeout = settings.requestTimeout().toNanos();
        for (Job head = queue.peek(); head != null && head.overdue(now, timeout); head = queue.peek()) {
            if (queue.remove(head)) {
                timeOut(head);
            }
        }
        for (Worker w : workers) {
            w.held().stream().filter(j -> j.overdue(now, timeout)).forEach(this::timeOut);
        }
    }

    private void timeOut(Job job) {
        if (!job.settle()) { // answered meanwhile, or timed out at an earlier tick (still held by its worker)
            return;
        }
        listener.timedOut(); // before the failure, so whoever sees the 503 can read the count
        job.result.completeExceptionally(new RequestTimeoutException("policy '" + name + "'",
                settings.requestTimeout()));
    }

    private void check(Observation o) {
        Map<String, Tensor> tensors = o.tensors();
        if (tensors.size() != modalities.size()) {
            throw new IllegalArgumentException("observation has " + tensors.keySet() + "; policy '" + name
                    + "' expects " + modalities.stream().map(ObservationBatch.Modality::name).toList());
        }
        for (ObservationBatch.Modality m : modalities) {
            Tensor t = tensors.get(m.name());
            if (t == null || t.dtype() != m.dtype() || t.size() != m.elements()) {
                throw new IllegalArgumentException("observation field '" + m.name() + "' is "
                        + (t == null ? "missing" : t.describe()) + "; expected " + m.dtype().label()
                        + Shapes.format(m.shape()));
            }
        }
    }

    /**
     * Publishes newer weights: every worker takes them at its next batch boundary. Older or equal versions than the
     * newest published are ignored (returns false): versions never go backwards.
     */
    public boolean update(PolicyWeights weights) {
        while (true) {
            PolicyWeights current = latest.get();
            if (current != null && current.version() >= weights.version() || weights.version() <= initialVersion) {
                return false;
            }
            if (latest.compareAndSet(current, weights)) {
                return true;
            }
        }
    }

    /** The newest version published to the workers (each takes it at its next batch). */
    public long version() {
        PolicyWeights w = latest.get();
        return w == null ? initialVersion : Math.max(initialVersion, w.version());
    }

    /** Requests waiting for a worker. */
    public int queueDepth() {
        return queue.size();
    }

    public BatcherSettings settings() {
        return settings;
    }

    public Space observationSpace() {
        return space;
    }

    /** Stops the workers (each finishes its batch), fails the requests still queued, and closes the replicas. */
    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        deadlines.shutdownNow(); // after the workers: a pass still running until now stayed under the timeout
        List<Job> left = new ArrayList<>();
        for (Worker w : workers) { // a worker stuck in a pass past the join: its requests are answered all the same
            left.addAll(w.held());
        }
        queue.drainTo(left);
        left.forEach(j -> j.fail(new IllegalStateException("policy '" + name
                + "' was unloaded before this request ran")));
        replicas.forEach(Policy::close);
    }

    /**
     * One worker: its replica, the version it holds, the batch in its forward pass and the request it took but could
     * not fit in its last batch (both read by {@link #failOverdue}).
     */
    private final class Worker {
        private final int index;
        private final Policy policy;
        private long version;
        private PolicyWeights applied;
        private volatile Job carried;
        private volatile List<Job> inPass;

        Worker(int index, Policy policy, long version) {
            this.index = index;
            this.policy = policy;
            this.version = version;
        }

        /** The requests this worker holds now: those of its forward pass, and the one carried to its next batch. */
        List<Job> held() {
            List<Job> jobs = new ArrayList<>();
            List<Job> pass = inPass;
            if (pass != null) {
                jobs.addAll(pass);
            }
            Job next = carried;
            if (next != null) {
                jobs.add(next);
            }
            return jobs;
        }

        void run() {
            while (running) {
                List<Job> jobs = gather();
                if (jobs.isEmpty()) {
                    break;
                }
                inPass = jobs; // before the weights: a slow load counts against the requests' timeout too
                applyNewestWeights();
                runBatch(jobs);
                inPass = null;
            }
            if (carried != null) {
                carried.fail(new IllegalStateException("policy '" + name
                        + "' was unloaded before this request ran"));
            }
        }

        /**
         * The first request (waiting as long as it takes), then more until the batch is full or the delay passed;
         * empty when the batcher stops before a first request came. A request already taken is never dropped.
         */
        private List<Job> gather() {
            List<Job> jobs = new ArrayList<>();
            Job first = carried;
            carried = null;
            if (first != null && first.isSettled()) { // timed out while the last batch ran
                first = null;
            }
            if (first == null) {
                try {
                    first = queue.take();
                } catch (InterruptedException e) {
                    return jobs;
                }
            }
            jobs.add(first);
            int rows = first.rows.size();
            long deadline = System.nanoTime() + settings.maxBatchDelay().toNanos();
            while (rows < settings.maxBatchSize()) {
                long left = deadline - System.nanoTime();
                Job next;
                try {
                    next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                } catch (InterruptedException e) {
                    break; // closing: run what was taken, then stop
                }
                if (next == null) {
                    break;
                }
                if (rows + next.rows.size() > settings.maxBatchSize()) {
                    carried = next; // opens the next batch
                    break;
                }
                jobs.add(next);
                rows += next.rows.size();
            }
            return jobs;
        }

        private void applyNewestWeights() {
            PolicyWeights newest = latest.get();
            if (newest == null || newest == applied) {
                return;
            }
            applied = newest;
            if (newest.version() <= version) {
                return;
            }
            try {
                policy.load(newest);
                version = newest.version();
            } catch (RuntimeException e) {
                listener.weightsRefused(index, newest, e);
            }
        }

        private void runBatch(List<Job> jobs) {
            int rows = 0;
            for (Job j : jobs) {
                rows += j.rows.size();
            }
            long started = System.nanoTime();
            try {
                ObservationBatch batch = ObservationBatch.forSpace(space, rows);
                int r = 0;
                for (Job j : jobs) {
                    for (Observation o : j.rows) {
                        batch.write(r++, o);
                    }
                }
                Policy.Evaluation eval = policy.evaluate(batch);
                int n = eval.actions();
                r = 0;
                for (Job j : jobs) {
                    int k = j.rows.size();
                    float[] logits = new float[k * n];
                    float[] values = new float[k];
                    System.arraycopy(eval.logits(), r * n, logits, 0, k * n);
                    System.arraycopy(eval.values(), r, values, 0, k);
                    r += k;
                    j.answer(new Inference(logits, values, n, version, rows));
                }
            } catch (RuntimeException e) {
                jobs.forEach(j -> j.fail(e));
            }
            listener.batch(rows, jobs.size(), System.nanoTime() - started);
        }
    }
}
