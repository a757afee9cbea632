package io.troupe.replay.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.core.experience.Unroll;
import io.troupe.replay.Items;
import io.troupe.replay.durable.LogFormat;
import io.troupe.replay.table.ItemSignature;
import io.troupe.replay.table.SampledItem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ReplayShard actor on a real ActorSystem, with a probe standing in for its reliable-delivery controller. */
class ReplayShardTest {
    private static ActorTestKit kit;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("replay-shard-test");
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private final List<ShardProbeHarness> harnesses = new ArrayList<>();

    @AfterEach
    void stopShards() {
        for (ShardProbeHarness h : harnesses) {
            h.stop(); // before the temporary directory goes away
        }
    }

    private ShardProbeHarness harness(String shardId, ReplaySettings settings, Optional<ItemSignature> signature) {
        ShardProbeHarness h = new ShardProbeHarness(kit).start(shardId, settings, signature);
        harnesses.add(h);
        return h;
    }

    private ReplaySettings settings(String extra) {
        return ReplaySettings.fromConfig(ShardProbeHarness.replayConfig(dir, extra));
    }

    private static ExperienceBatch unrolls(String producer, long firstSeq, int n, int length) {
        List<ReplayItem> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(Items.unroll(Items.CARTPOLE, producer, firstSeq + i, length, 1, 0));
        }
        return ExperienceBatch.of(items);
    }

    private ReplayShard.Stats stats(ShardProbeHarness h) {
        TestProbe<ReplayShard.Stats> probe = kit.createTestProbe();
        h.shard.tell(new ReplayShard.GetStats(probe.ref()));
        return probe.receiveMessage();
    }

    private List<String> storedIds(ShardProbeHarness h) {
        TestProbe<ReplayShard.StoredIds> probe = kit.createTestProbe();
        h.shard.tell(new ReplayShard.GetStoredIds(probe.ref()));
        return probe.receiveMessage().ids();
    }

    private List<SampledItem> sampleAll(ShardProbeHarness h, long requestId, int n) {
        TestProbe<ReplayShard.SampleReply> probe = kit.createTestProbe();
        h.shard.tell(new ReplayShard.Sample(requestId, n, probe.ref()));
        List<SampledItem> out = new ArrayList<>();
        while (true) {
            ReplayShard.SampleReply r = probe.receiveMessage();
            ReplayShard.Sampled s = (ReplayShard.Sampled) r;
            assertEquals(requestId, s.requestId());
            out.addAll(s.items());
            if (s.last()) {
                return out;
            }
        }
    }

    /** Runs of consecutive sequence numbers stand for every id in them; a producer's id may contain '-' and '#'. */
    @Test
    void storedIdRunsExpandToEveryIdTheyStandFor() {
        ReplayShard.StoredIds ids = new ReplayShard.StoredIds("shard-0", List.of("agent-0#0-3", "agent-0#7",
                "odd#name-1#5-6"), false);
        assertEquals(List.of("agent-0#0", "agent-0#1", "agent-0#2", "agent-0#3", "agent-0#7", "odd#name-1#5",
                "odd#name-1#6"), ids.ids());
    }

    @Test
    void shardsRunOnTheReplayRoleAndAConfigThatSetsAnotherIsRefused() {
        assertEquals("replay", settings("").role());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> settings("troupe.replay.role = gpu"));
        assertEquals("troupe.replay.role is not a setting: replay shards run on the nodes of role replay (--roles; "
                + "node roles are fixed); remove it from the config", e.getMessage());
    }

    /** Nothing updates a shard's priorities, so a prioritized shard would select uniformly: refused, not ignored. */
    @Test
    void aPrioritizedShardTableIsRefusedSinceNothingUpdatesItsPriorities() {
        for (String key : new String[] {"sampler", "remover"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> settings("troupe.replay.table." + key + " = prioritized"));
            assertTrue(e.getMessage().startsWith("troupe.replay.table." + key + " = prioritized: replay shards have "
                    + "no way to update priorities"), e.getMessage());
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> settings("troupe.replay.table.sampler = Random"));
        assertEquals("troupe.replay.table.sampler: unknown selector 'Random'; expected uniform, fifo or lifo",
                unknown.getMessage());
        IllegalArgumentException alpha = assertThrows(IllegalArgumentException.class,
                () -> settings("troupe.replay.table.priority-exponent = 0.6"));
        assertTrue(alpha.getMessage().startsWith("troupe.replay.table.priority-exponent is not a setting"),
                alpha.getMessage());
    }

    @Test
    void storesConfirmsAndSamples() {
        ShardProbeHarness h = harness("replay-0", settings(""), Optional.empty());
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 3, 8));
        h.confirms.receiveMessage();
        List<SampledItem> got = sampleAll(h, 1, 2);
        assertEquals(2, got.size());
        assertEquals(3, got.get(0).tableSize());
        ReplayShard.Stats s = stats(h);
        assertEquals(3, s.table().size());
        assertEquals(24, s.table().stepsStored());
        assertEquals(1, s.batchesStored());
        assertEquals(2, s.table().samples());
    }

    @Test
    void redeliveredBatchesAreDroppedButConfirmed() {
        ShardProbeHarness h = harness("replay-1", settings(""), Optional.empty());
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 2, 4));
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 2, 4));
        h.deliver("agent-b", 1, unrolls("agent-b", 0, 2, 4));
        h.confirms.receiveSeveralMessages(3);
        ReplayShard.Stats s = stats(h);
        assertEquals(1, s.duplicatesDropped());
        assertEquals(4, s.table().size());
    }

    @Test
    void rateLimiterHoldsInsertsAndTheConfirmationUntilSamplesAreTaken() {
        ShardProbeHarness h = harness("replay-2",
                settings("troupe.replay.table { max-size = 2, max-times-sampled = 1, sampler = fifo, "
                        + "rate-limiter.kind = queue }"), Optional.empty());
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 3, 4));
        h.confirms.expectNoMessage(Duration.ofMillis(200)); // the third item does not fit: no confirmation yet
        assertEquals(1, stats(h).parkedBatches());
        List<SampledItem> first = sampleAll(h, 1, 2);
        assertEquals(List.of(0L, 1L), first.stream().map(i -> ((Unroll) i.item()).sequence()).toList());
        h.confirms.receiveMessage(); // sampling freed room: the rest went in and the batch was confirmed
        assertEquals(List.of(2L), sampleAll(h, 2, 1).stream().map(i -> ((Unroll) i.item()).sequence()).toList());
        assertEquals(0, stats(h).parkedBatches());
    }

    @Test
    void aSampleThatCannotBeServedTimesOutWithAReason() {
        ShardProbeHarness h = harness("replay-3",
                settings("troupe.replay.sample-timeout = 300ms\ntroupe.replay.table.rate-limiter.min-size-to-sample = 5"),
                Optional.empty());
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 2, 4));
        h.confirms.receiveMessage();
        TestProbe<ReplayShard.SampleReply> probe = kit.createTestProbe();
        h.shard.tell(new ReplayShard.Sample(9, 1, probe.ref()));
        ReplayShard.SampleTimedOut t = probe.expectMessageClass(ReplayShard.SampleTimedOut.class, Duration.ofSeconds(3));
        assertEquals(9, t.requestId());
        assertTrue(t.reason().contains("table size 2") && t.reason().contains("minSizeToSample=5"), t.reason());
        h.shard.tell(new ReplayShard.Sample(10, 0, probe.ref()));
        ReplayShard.SampleRefused refused = probe.expectMessageClass(ReplayShard.SampleRefused.class);
        assertTrue(refused.reason().contains("got 0"), refused.reason());
    }

    @Test
    void aWaitingSampleIsServedWhenEnoughDataArrives() {
        ShardProbeHarness h = harness("replay-4",
                settings("troupe.replay.table.rate-limiter.min-size-to-sample = 3"), Optional.empty());
        TestProbe<ReplayShard.SampleReply> probe = kit.createTestProbe();
        h.shard.tell(new ReplayShard.Sample(1, 2, probe.ref()));
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 3, 4));
        ReplayShard.Sampled s = probe.expectMessageClass(ReplayShard.Sampled.class);
        assertEquals(2, s.items().size());
    }

    @Test
    void invalidItemsAreRefusedOneByOneAndReported() {
        ShardProbeHarness h = harness("replay-5", settings(""),
                Optional.of(ItemSignature.unrolls(Items.CARTPOLE, 8)));
        List<ReplayItem> items = List.of(Items.unroll(Items.CARTPOLE, "a", 0, 8, 0, 0),
                Items.unroll(Items.CARTPOLE, "a", 1, 5, 0, 0), Items.unroll(Items.MULTIMODAL, "a", 2, 8, 0, 0));
        h.deliver("a", 1, new ExperienceBatch(items, new double[] {1, 1, 1}));
        h.deliver("a", 2, new ExperienceBatch(List.of(Items.unroll(Items.CARTPOLE, "a", 3, 8, 0, 0)),
                new double[] {Double.NaN}));
        h.confirms.receiveSeveralMessages(2);
        ReplayShard.Stats s = stats(h);
        assertEquals(1, s.table().size());
        assertEquals(3, s.rejectedItems());
        assertTrue(s.lastRejection().contains("priority must be finite"), s.lastRejection());
    }

    @Test
    void largeAnswersComeInPartsUnderTheMessageBudget() {
        ShardProbeHarness h = harness("replay-6",
                settings("troupe.replay.max-message-bytes = 8192"), Optional.empty());
        h.deliver("a", 1, unrolls("a", 0, 10, 64)); // ~3.5 KB per unroll
        h.confirms.receiveMessage();
        TestProbe<ReplayShard.SampleReply> probe = kit.createTestProbe();
        h.shard.tell(new ReplayShard.Sample(1, 10, probe.ref()));
        int total = 0;
        int parts = 0;
        ReplayShard.Sampled s;
        do {
            s = probe.expectMessageClass(ReplayShard.Sampled.class);
            assertEquals(parts++, s.part());
            long bytes = s.items().stream().mapToLong(i -> i.item().estimatedBytes()).sum();
            assertTrue(bytes <= 8192, "part of " + bytes + " bytes");
            total += s.items().size();
        } while (!s.last());
        assertEquals(10, total);
        assertTrue(parts >= 4, parts + " parts");
    }

    @Test
    void walModeRecoversContentRemovalsAndDedupeState() {
        ReplaySettings wal = settings("troupe.replay.durability.mode = wal\ntroupe.replay.table.max-times-sampled = 1\n"
                + "troupe.replay.table.sampler = fifo");
        ShardProbeHarness h = harness("replay-7", wal, Optional.empty());
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 3, 4));
        h.deliver("agent-a", 2, unrolls("agent-a", 3, 2, 4));
        h.confirms.receiveSeveralMessages(2);
        assertEquals(2, sampleAll(h, 1, 2).size()); // items 0 and 1 leave the table
        h.stop();
        harnesses.remove(h);

        ShardProbeHarness again = harness("replay-7", wal, Optional.empty());
        assertEquals(List.of("agent-a#2", "agent-a#3", "agent-a#4"), storedIds(again));
        again.deliver("agent-a", 2, unrolls("agent-a", 3, 2, 4)); // a redelivery after the restart
        again.confirms.receiveMessage();
        ReplayShard.Stats s = stats(again);
        assertEquals(1, s.duplicatesDropped());
        assertEquals(3, s.table().size());
        assertFalse(s.recovery().corrupt());
    }

    /** An entity id becomes a directory name only after validation: a malicious one creates nothing anywhere. */
    @Test
    void aShardIdThatIsNotASafeFileNameIsRefused() throws Exception {
        ReplaySettings wal = settings("troupe.replay.durability.mode = wal"); // logs in dir
        LogFormat format = LogFormat.fromConfig(ConfigFactory.load());
        TestProbe<ConsumerController.Start<ExperienceBatch>> controller = kit.createTestProbe();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReplayShard.create("../escaped", wal, Optional.empty(), format, controller.ref()));
        assertTrue(e.getMessage().contains("\"../escaped\"") && e.getMessage().contains("[A-Za-z0-9._-]"),
                e.getMessage());
        try (Stream<Path> files = Files.walk(dir)) {
            assertEquals(List.of(dir), files.toList(), "nothing created in or outside the log directory");
        }
    }

    @Test
    void checkpointModeKeepsWhatTheLastSnapshotHeld() {
        ReplaySettings cp = settings("troupe.replay.durability.mode = checkpoint");
        ShardProbeHarness h = harness("replay-8", cp, Optional.empty());
        h.deliver("agent-a", 1, unrolls("agent-a", 0, 4, 4));
        h.confirms.receiveMessage();
        h.stop(); // a graceful stop (handoff) writes a snapshot
        ShardProbeHarness again = harness("replay-8", cp, Optional.empty());
        assertEquals(4, stats(again).table().size());
        assertEquals(4, stats(again).recovery().snapshotItems());
    }
}
