package io.troupe.serving.pipeline;

import io.troupe.core.ObservationBatch;
import io.troupe.core.Policy;
import io.troupe.core.PolicyWeights;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A replica whose forward passes run on a policy's stage actors, wherever in the cluster they are ({@link
 * StageActor}): {@link #evaluate} sends the batch to stage 0 with the route through the other stages and waits, on
 * the calling batcher worker's thread, for the last stage's answer. The batcher, the routes and the HTTP API do not
 * know the difference. The route is found through the receptionist when first needed and again after a timeout; a
 * stage that is not registered, or a pipeline that does not answer within {@code troupe.serving.pipeline.timeout},
 * is an {@link IllegalStateException} naming the stage or the setting (503 over HTTP), never a hang. Not
 * thread-safe: one per batcher worker.
 */
public final class StagedPolicy implements Policy {
    private final ActorSystem<?> system;
    private final String modelId;
    private final long version;
    private final PipelineSettings settings;
    private List<ActorRef<StageActor.Command>> route;
    private long requests;

    public StagedPolicy(ActorSystem<?> system, String modelId, long version, PipelineSettings settings) {
        this.system = system;
        this.modelId = modelId;
        this.version = version;
        this.settings = settings;
    }

    /**
     * Every stage of {@code modelId} at {@code version} split into {@code settings.stages()}, in order, as the
     * receptionist lists them now (one per stage when a stage runs on several nodes); a stage registered nowhere is an
     * error naming it.
     */
    public static List<ActorRef<StageActor.Command>> findStages(ActorSystem<?> system, String modelId, long version,
                                                                PipelineSettings settings) {
        int k = settings.stages();
        List<ActorRef<StageActor.Command>> found = new ArrayList<>();
        List<Integer> missing = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            int stage = s;
            ServiceKey<StageActor.Command> key = StageActor.serviceKey(modelId, version, stage, k);
            Receptionist.Listing listing = await(AskPattern.ask(system.receptionist(),
                    (ActorRef<Receptionist.Listing> r) -> Receptionist.find(key, r), settings.timeout(),
                    system.scheduler()).toCompletableFuture(), "the receptionist", settings.timeout());
            listing.getServiceInstances(key).stream().min(Comparator.comparing(a -> a.path().toString()))
                    .ifPresentOrElse(found::add, () -> missing.add(stage));
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("stage(s) " + missing + " of the " + k + " pipeline stages "
                    + "(troupe.serving.pipeline.stages) of model " + modelId + " version " + version
                    + " are not running on any node of the cluster; start them, each on its node");
        }
        return found;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public Evaluation evaluate(ObservationBatch observations) {
        int total = observations.rows();
        int per = Chunks.rowsPerMessage(observations.bytesPerRow(), settings.messageBytes());
        if (route == null) {
            route = findStages(system, modelId, version, settings);
        }
        ActorRef<StageActor.Command> first = route.get(0);
        List<ActorRef<StageActor.Command>> next = List.copyOf(route.subList(1, route.size()));
        long request = ++requests;
        StageActor.Answer answer;
        try {
            answer = await(AskPattern.ask(first, (ActorRef<StageActor.Answer> replyTo) -> {
                // every part but the first goes now, the first as the ask's message: one answer for all of them
                for (int from = per; from < total; from += per) {
                    first.tell(new StageActor.Infer(request, from, total,
                            Chunks.rows(observations, from, Math.min(total, from + per)), next, replyTo));
                }
                return new StageActor.Infer(request, 0, total, Chunks.rows(observations, 0, Math.min(total, per)),
                        next, replyTo);
            }, settings.timeout(), system.scheduler()).toCompletableFuture(), "the " + route.size()
                    + " pipeline stages of model " + modelId, settings.timeout());
        } catch (IllegalStateException e) {
            route = null; // a stage may have moved or gone: look again next time
            throw e;
        }
        if (answer instanceof StageActor.Failed f) {
            throw new IllegalStateException("pipeline inference failed at " + f.reason());
        }
        StageActor.Inferred in = (StageActor.Inferred) answer;
        return new Evaluation(in.logits(), in.values(), in.actions());
    }

    private static <T> T await(CompletableFuture<T> future, String who, Duration timeout) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new IllegalStateException(who + " did not answer within troupe.serving.pipeline.timeout ("
                        + timeout.toMillis() + " ms); is every stage's node up?", e.getCause());
            }
            throw new IllegalStateException(who + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + who, e);
        }
    }

    /** Refused: each stage loaded its slice of one checkpoint's version; a new version means restarting the stages. */
    @Override
    public void load(PolicyWeights weights) {
        throw new IllegalStateException("a policy served by " + settings.stages() + " pipeline stages "
                + "(troupe.serving.pipeline.stages) serves the version its stages loaded (" + version + "); start "
                + "the stages with version " + weights.version() + " to serve it");
    }

    /** Nothing to free here: the stages live on their nodes. */
    @Override
    public void close() {
    }
}
