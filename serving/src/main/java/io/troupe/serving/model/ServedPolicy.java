package io.troupe.serving.model;

import io.troupe.core.Categorical;
import io.troupe.core.Observation;
import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import io.troupe.edge.contract.PolicyContract;
import io.troupe.edge.contract.SpaceJson;
import io.troupe.serving.batch.Batcher;
import io.troupe.serving.batch.BatcherSettings;
import io.troupe.serving.batch.Inference;
import io.troupe.serving.drift.DriftMonitor;
import io.troupe.serving.drift.ReferenceRecorder;
import io.troupe.serving.metrics.PolicyMetrics;
import io.troupe.serving.metrics.ServingMetrics;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * A policy being served: its source, its batcher (one warmed-up replica per worker), and, when it follows a training
 * job, the check every new version passes before it is served ({@link #offer}). Thread-safe.
 */
public final class ServedPolicy implements ServingMetrics.Gauges, AutoCloseable {
    /** How many recent observations the quick check of a new version runs on. */
    static final int RECENT = 32;
    /** How many rejected versions {@link #info()} lists. */
    static final int REJECTED_KEPT = 10;

    /** What became of a version offered to a following policy. */
    public enum Offer {
        /** Published to the workers: served from each one's next batch. */
        SERVED,
        /** Not newer than the version served: ignored. */
        NOT_NEWER,
        /** Newer than the pinned version: held back. */
        PINNED,
        /** Failed the quick check: not served, reported. */
        REJECTED
    }

    private final String name;
    private final PolicySource source;
    private final Batcher batcher;
    private final PolicyMetrics metrics;
    private final Instant loadedAt;
    private final ArrayDeque<Observation> recent = new ArrayDeque<>();
    private final ArrayDeque<PolicyInfo.RejectedVersion> rejected = new ArrayDeque<>();
    private Policy checker;
    private OptionalLong pinned = OptionalLong.empty();
    private boolean closed;
    /** Compares served traffic with the policy's reference profile; null until one is attached. */
    private volatile DriftMonitor drift;
    private final Object checkLock = new Object();

    private ServedPolicy(String name, PolicySource source, Batcher batcher, PolicyMetrics metrics, Instant loadedAt) {
        this.name = name;
        this.source = source;
        this.batcher = batcher;
        this.metrics = metrics;
        this.loadedAt = loadedAt;
    }

    /**
     * Builds one replica per worker, runs a forward pass of one row and of a full batch on each (so the first request
     * does not pay for native warm-up), and starts the batcher. Blocking: call it off Pekko's threads.
     */
    public static ServedPolicy start(String name, PolicySource source, BatcherSettings settings,
                                     ServingMetrics metrics) {
        checkName(name);
        List<Policy> replicas = new ArrayList<>();
        try {
            for (int w = 0; w < settings.workers(); w++) {
                Policy p = source.newReplica();
                replicas.add(p);
                p.evaluate(ObservationBatch.forSpace(source.spec().observationSpace(), 1));
                p.evaluate(ObservationBatch.forSpace(source.spec().observationSpace(), settings.maxBatchSize()));
            }
        } catch (RuntimeException e) {
            replicas.forEach(Policy::close);
            throw e;
        }
        PolicyMetrics m = metrics.policy(name);
        Batcher b = new Batcher(name, source.spec().observationSpace(), settings, replicas, source.version(), m);
        return new ServedPolicy(name, source, b, m, Instant.now());
    }

    private static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** Whether {@code name} can name a policy (see {@link #checkName}). */
    public static boolean isValidName(String name) {
        return name != null && VALID_NAME.matcher(name).matches();
    }

    /** Throws unless {@code name} can be a URL segment: letters, digits, {@code . _ -}, at most 64. */
    public static void checkName(String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("policy name '" + name + "' is not valid; expected letters, digits, "
                    + "'.', '_' or '-' (at most 64, starting with a letter or digit)");
        }
    }

    public String name() {
        return name;
    }

    public PolicySource source() {
        return source;
    }

    public PolicyMetrics metrics() {
        return metrics;
    }

    /** Queues one request of {@code observations}; see {@link Batcher#submit}. */
    public CompletableFuture<Inference> submit(List<Observation> observations) {
        CompletableFuture<Inference> f = batcher.submit(observations);
        if (f.isCompletedExceptionally()) {
            metrics.rejected();
        } else {
            synchronized (recent) {
                if (recent.size() == RECENT) {
                    recent.removeFirst();
                }
                recent.addLast(observations.get(0));
            }
        }
        return f;
    }

    /** Starts comparing served traffic with {@code monitor}'s reference profile. */
    public void attachDrift(DriftMonitor monitor) {
        this.drift = monitor;
    }

    /** The drift monitor, when a reference profile is attached. */
    @Override
    public Optional<DriftMonitor> drift() {
        return Optional.ofNullable(drift);
    }

    /**
     * Hands the rows of a request the batcher answered to the drift monitor (if any): each row's features, its most
     * likely action and its value.
     */
    public void observeServed(List<Observation> observations, Inference answer) {
        DriftMonitor monitor = drift;
        if (monitor == null) {
            return;
        }
        int n = answer.actions();
        for (int row = 0; row < observations.size(); row++) {
            monitor.observe(ReferenceRecorder.features(observations.get(row)),
                    Categorical.argmax(answer.logits(), row * n, n), answer.values()[row]);
        }
    }

    @Override
    public int queueDepth() {
        return batcher.queueDepth();
    }

    @Override
    public long version() {
        return batcher.version();
    }

    /**
     * Offers a newer version (a following policy): unless pinned below it, it is loaded into a spare replica and run on
     * the recent requests (or a zero observation before any came); served only if it is the same architecture (same
     * spaces) and every output is finite. A refused version is kept in {@link #info()} and counted in the metrics.
     * Blocking (one forward pass): call it off Pekko's threads.
     */
    public Offer offer(PolicyWeights weights) {
        synchronized (this) {
            if (weights.version() <= batcher.version()) {
                return Offer.NOT_NEWER;
            }
            if (pinned.isPresent() && weights.version() > pinned.getAsLong()) {
                return Offer.PINNED;
            }
        }
        String problem;
        synchronized (checkLock) { // the forward pass runs outside the policy's lock: info() never waits for it
            problem = check(weights);
        }
        synchronized (this) {
            if (problem != null) {
                rejected.addLast(new PolicyInfo.RejectedVersion(weights.version(), problem));
                if (rejected.size() > REJECTED_KEPT) {
                    rejected.removeFirst();
                }
                metrics.versionFailedCheck();
                return Offer.REJECTED;
            }
            if (pinned.isPresent() && weights.version() > pinned.getAsLong()) {
                return Offer.PINNED; // pinned while it was checked
            }
            return batcher.update(weights) ? Offer.SERVED : Offer.NOT_NEWER;
        }
    }

    /** Null when {@code weights} pass the quick check, else what is wrong. */
    private String check(PolicyWeights weights) {
        if (!weights.modelId().equals(source.modelId())) {
            return "model " + weights.modelId() + " differs from the served " + source.modelId()
                    + " (other spaces or architecture)";
        }
        List<Observation> sample;
        synchronized (recent) {
            sample = new ArrayList<>(recent);
        }
        ObservationBatch batch;
        if (sample.isEmpty()) {
            batch = ObservationBatch.forSpace(source.spec().observationSpace(), 1);
        } else {
            batch = ObservationBatch.forSpace(source.spec().observationSpace(), sample.size());
            for (int i = 0; i < sample.size(); i++) {
                batch.write(i, sample.get(i));
            }
        }
        try {
            if (checker == null) {
                checker = source.newReplica();
            }
            checker.load(weights);
            Policy.Evaluation e = checker.evaluate(batch);
            for (float v : e.logits()) {
                if (!Float.isFinite(v)) {
                    return "non-finite logits on " + batch.rows() + " recent observation(s)";
                }
            }
            for (float v : e.values()) {
                if (!Float.isFinite(v)) {
                    return "non-finite values on " + batch.rows() + " recent observation(s)";
                }
            }
            return null;
        } catch (RuntimeException e) {
            return "the weights do not load: " + e.getMessage();
        }
    }

    /**
     * Freezes the policy at {@code version}: newer versions are held back. A version older than the one served is
     * refused (versions never go backwards).
     */
    public synchronized void pin(long version) {
        if (version < batcher.version()) {
            throw new IllegalArgumentException("policy '" + name + "' serves version " + batcher.version()
                    + " already; pin a version >= " + batcher.version() + " (served versions never go backwards)");
        }
        pinned = OptionalLong.of(version);
    }

    /**
     * Freezes the policy at the version it serves now, in one step (a version published between reading the served
     * version and pinning it cannot slip in).
     *
     * @return the pinned version
     */
    public synchronized long pinServed() {
        long served = batcher.version();
        pinned = OptionalLong.of(served);
        return served;
    }

    public synchronized void unpin() {
        pinned = OptionalLong.empty();
    }

    public synchronized OptionalLong pinned() {
        return pinned;
    }

    public synchronized PolicyInfo info() {
        BatcherSettings s = batcher.settings();
        return new PolicyInfo(name, source.spec().id(), source.backend(), source.location(), source.modelKind(),
                source.modelId(), source.parameters(), batcher.version(), loadedAt.toString(),
                SpaceJson.write(source.spec().observationSpace()), SpaceJson.write(source.spec().actionSpace()),
                PolicyContract.inputsOf(source.spec().observationSpace()),
                new PolicyInfo.Batching(s.maxBatchSize(), s.maxBatchDelay().toNanos() / 1e6, s.workers(),
                        s.jobQueueSize()),
                pinned.isPresent() ? pinned.getAsLong() : null, List.copyOf(rejected));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        batcher.close();
        synchronized (checkLock) {
            if (checker != null) {
                checker.close();
            }
        }
    }
}
