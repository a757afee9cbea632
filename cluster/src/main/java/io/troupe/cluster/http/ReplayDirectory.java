package io.troupe.cluster.http;

import io.troupe.replay.shard.ReplayShard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;

/** The job's replay shards as the admin API sees them: found through the cluster receptionist, asked for stats. */
public final class ReplayDirectory {
    private static final Duration ASK = Duration.ofSeconds(3);
    private final ActorSystem<?> system;

    public ReplayDirectory(ActorSystem<?> system) {
        this.system = system;
    }

    /**
     * The unroll sequence numbers each shard holds for {@code producer} (an agent id), sorted; {@code truncated} when
     * a shard's id list was cut to fit a message.
     */
    public CompletionStage<Map<String, Object>> stored(String producer) {
        return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                replyTo -> Receptionist.find(ReplayShard.SERVICE_KEY, replyTo), ASK, system.scheduler())
                .thenCompose(listing -> {
                    List<CompletableFuture<ReplayShard.StoredIds>> answers = new ArrayList<>();
                    for (ActorRef<ReplayShard.Command> ref : listing.getServiceInstances(ReplayShard.SERVICE_KEY)) {
                        answers.add(AskPattern.<ReplayShard.Command, ReplayShard.StoredIds>ask(ref,
                                ReplayShard.GetStoredIds::new, Duration.ofSeconds(10), system.scheduler())
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
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("producer", producer);
                        out.put("sequences", seqs);
                        out.put("truncated", truncated);
                        return out;
                    });
                });
    }

    /** Per shard: node, items held, steps stored, inserts, samples, batches stored, duplicates dropped, durability. */
    public CompletionStage<List<Map<String, Object>>> list() {
        return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
                replyTo -> Receptionist.find(ReplayShard.SERVICE_KEY, replyTo), ASK, system.scheduler())
                .thenCompose(listing -> {
                    List<CompletableFuture<Map<String, Object>>> answers = new ArrayList<>();
                    for (ActorRef<ReplayShard.Command> ref : listing.getServiceInstances(ReplayShard.SERVICE_KEY)) {
                        String node = ref.path().address().hasGlobalScope() ? ref.path().address().toString()
                                : Cluster.get(system).selfMember().address().toString();
                        answers.add(AskPattern.<ReplayShard.Command, ReplayShard.Stats>ask(ref,
                                ReplayShard.GetStats::new, ASK, system.scheduler()).toCompletableFuture()
                                .handle((s, failure) -> {
                                    Map<String, Object> m = new LinkedHashMap<>();
                                    m.put("shard", s == null ? ref.path().toString() : s.shardId());
                                    m.put("node", node);
                                    if (s == null) {
                                        m.put("state", "not answering");
                                        return m;
                                    }
                                    m.put("items", s.table().size());
                                    m.put("max_items", s.table().maxSize());
                                    m.put("steps_stored", s.table().stepsStored());
                                    m.put("inserts", s.table().inserts());
                                    m.put("samples", s.table().samples());
                                    m.put("batches_stored", s.batchesStored());
                                    m.put("duplicates_dropped", s.duplicatesDropped());
                                    m.put("durability", s.durability());
                                    m.put("recovered_items", s.recovery().snapshotItems() + s.recovery()
                                            .replayedInserts());
                                    return m;
                                }));
                    }
                    return CompletableFuture.allOf(answers.toArray(new CompletableFuture[0])).thenApply(v -> {
                        List<Map<String, Object>> out = new ArrayList<>();
                        answers.forEach(a -> out.add(a.join()));
                        out.sort(Comparator.comparing(m -> String.valueOf(m.get("shard"))));
                        return out;
                    });
                });
    }
}
