package io.troupe.cluster.http;

import io.troupe.cluster.http.AdminApi.ShardView;
import io.troupe.cluster.http.AdminApi.StoredSequences;
import io.troupe.replay.shard.ReplayShard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;

/** The job's replay shards as the admin API sees them: found through the cluster receptionist, asked for stats. */
public final class ReplayDirectory {
    private final ActorSystem<?> system;
    private final Duration ask;
    private final Duration storedIds;

    /** The timeouts used: {@code ask} (stats, the receptionist) and {@code storedIds} (id lists). */
    public ReplayDirectory(ActorSystem<?> system, AdminTimeouts timeouts) {
        this.system = system;
        this.ask = timeouts.ask();
        this.storedIds = timeouts.storedIds();
    }

    /**
     * The unroll sequence numbers each shard holds for {@code producer} (an agent id), sorted; {@code truncated} when
     * a shard's id list was cut to fit a message.
     */
    public CompletionStage<StoredSequences> stored(String producer) {
        return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                replyTo -> Receptionist.find(ReplayShard.SERVICE_KEY, replyTo), ask, system.scheduler())
                .thenCompose(listing -> {
                    List<CompletableFuture<ReplayShard.StoredIds>> answers = new ArrayList<>();
                    for (ActorRef<ReplayShard.Command> ref : listing.getServiceInstances(ReplayShard.SERVICE_KEY)) {
                        answers.add(AskPattern.<ReplayShard.Command, ReplayShard.StoredIds>ask(ref,
                                ReplayShard.GetStoredIds::new, storedIds, system.scheduler())
                                .toCompletableFuture());
                    }
                    return CompletableFuture.allOf(answers.toArray(new CompletableFuture[0])).thenApply(v -> {
                        List<Long> seqs = new ArrayList<>();
                        boolean truncated = false;
                        String prefix = producer + "#";
                        for (CompletableFuture<ReplayShard.StoredIds> a : answers) {
                            ReplayShard.StoredIds ids = a.join();
                            truncated |= ids.truncated();
                            for (String id : ids.ids()) {
                                if (id.startsWith(prefix)) {
                                    seqs.add(Long.parseLong(id.substring(prefix.length())));
                                }
                            }
                        }
                        seqs.sort(null);
                        return new StoredSequences(producer, seqs, truncated);
                    });
                });
    }

    /** Per shard: node, items held, steps stored, inserts, samples, batches stored, duplicates dropped, durability. */
    public CompletionStage<List<ShardView>> list() {
        return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                replyTo -> Receptionist.find(ReplayShard.SERVICE_KEY, replyTo), ask, system.scheduler())
                .thenCompose(listing -> {
                    List<CompletableFuture<ShardView>> answers = new ArrayList<>();
                    for (ActorRef<ReplayShard.Command> ref : listing.getServiceInstances(ReplayShard.SERVICE_KEY)) {
                        String node = ref.path().address().hasGlobalScope() ? ref.path().address().toString()
                                : Cluster.get(system).selfMember().address().toString();
                        answers.add(AskPattern.<ReplayShard.Command, ReplayShard.Stats>ask(ref,
                                ReplayShard.GetStats::new, ask, system.scheduler()).toCompletableFuture()
                                .handle((s, failure) -> s == null
                                        ? ShardView.notAnswering(ref.path().toString(), node)
                                        : new ShardView(s.shardId(), node, null, s.table().size(),
                                                s.table().maxSize(), s.table().stepsStored(), s.table().inserts(),
                                                s.table().samples(), s.batchesStored(), s.duplicatesDropped(),
                                                String.valueOf(s.durability()), s.recovery().snapshotItems()
                                                        + s.recovery().replayedInserts())));
                    }
                    return CompletableFuture.allOf(answers.toArray(new CompletableFuture[0])).thenApply(v -> {
                        List<ShardView> out = new ArrayList<>();
                        answers.forEach(a -> out.add(a.join()));
                        out.sort(Comparator.comparing(ShardView::shard));
                        return out;
                    });
                });
    }
}
