package io.troupe.replay.shard;

import io.troupe.transport.testing.TestNodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.core.experience.ReplayItem;
import io.troupe.replay.Items;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay shards live in a separate JVM that is killed with SIGKILL while an agent streams into them. A second
 * JVM takes the shards over from the same wal directory: every batch confirmed before the kill is there, and the
 * producer resends what was not confirmed, so in the end every batch is stored exactly once.
 */
class ReplayCrashRecoveryTest {
    private static final String SYSTEM = "crash-test";
    private static final int BATCHES = 240;
    private static final int ITEMS_PER_BATCH = 2;

    @TempDir
    Path dir;

    private ActorTestKit kit;
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void tearDown() {
        try {
            if (kit != null) {
                ActorTestKit.shutdown(kit.system(), Duration.ofSeconds(30), false);
            }
        } finally {
            children.forEach(Process::destroyForcibly);
        }
    }

    private Process startReplayNode(int seedPort, String tag) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx512m",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ReplayNodeMain.class.getName(),
                SYSTEM, Integer.toString(seedPort), dir.resolve("wal").toString());
        pb.redirectErrorStream(true);
        File log = dir.resolve("node-" + tag + ".log").toFile();
        Process p = pb.start();
        children.add(p);
        // read until READY, then keep draining into a file so the child never blocks on a full pipe
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("READY")) {
            Files.writeString(log.toPath(), line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        if (line == null) {
            throw new AssertionError("replay node " + tag + " exited: " + Files.readString(log.toPath()));
        }
        Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "drain-" + tag);
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    private void awaitMembers(TestProbe<?> probe, int up) {
        Cluster cluster = Cluster.get(kit.system());
        probe.awaitAssert(Duration.ofSeconds(30), () -> {
            long n = 0;
            for (var m : cluster.state().getMembers()) {
                n += m.status() == MemberStatus.up() ? 1 : 0;
            }
            assertEquals(up, n, "members up: " + cluster.state().getMembers());
            return null;
        });
    }

    @Test
    void confirmedExperienceSurvivesAKilledReplayNode() throws Exception {
        Config config = TestNodes.node(List.of("agent"),
                "troupe.replay.shards = 2\n"
                        + "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 2s\n"
                        + "pekko.reliable-delivery.producer-controller.durable-queue.resend-first-interval = 200ms");
        kit = ActorTestKit.create(SYSTEM, config);
        Cluster cluster = Cluster.get(kit.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        TestProbe<Object> waiter = kit.createTestProbe();
        int seedPort = TestNodes.port(kit.system());

        Process first = startReplayNode(seedPort, "first");
        awaitMembers(waiter, 2);
        ReplaySettings settings = ReplaySettings.fromConfig(config.getConfig("troupe.replay"));
        var region = ReplaySharding.init(kit.system(), settings, Optional.empty());
        ActorRef<ReplayProducer.Command> producer = kit.spawn(ReplayProducer.create("agent-7-incarnation-1", region,
                Duration.ofMinutes(2)));
        TestProbe<ReplayProducer.Confirmed> confirms = kit.createTestProbe();
        for (int b = 0; b < BATCHES; b++) {
            List<ReplayItem> items = new ArrayList<>();
            for (int i = 0; i < ITEMS_PER_BATCH; i++) {
                items.add(Items.unroll(Items.CARTPOLE, "agent-7", (long) b * ITEMS_PER_BATCH + i, 32, 0, 0));
            }
            producer.tell(new ReplayProducer.Send(ReplaySettings.shardId(b % 2), ExperienceBatch.of(items), b,
                    confirms.ref()));
        }

        // let part of the stream be confirmed, then kill the replay node mid-stream
        Set<Long> confirmedBeforeKill = new HashSet<>();
        for (ReplayProducer.Confirmed c : confirms.receiveSeveralMessages(BATCHES / 4, Duration.ofSeconds(60))) {
            assertTrue(c.ok());
            confirmedBeforeKill.add(c.tag());
        }
        Address firstAddress = null;
        for (var m : cluster.state().getMembers()) {
            if (m.hasRole("replay")) {
                firstAddress = m.address();
            }
        }
        first.destroyForcibly(); // SIGKILL
        assertTrue(first.waitFor(10, TimeUnit.SECONDS));
        final Address dead = firstAddress;
        waiter.awaitAssert(Duration.ofSeconds(30), () -> {
            assertTrue(cluster.state().getUnreachable().stream().anyMatch(m -> m.address().equals(dead)));
            return null;
        });
        cluster.manager().tell(new Down(dead)); // the admin's (or the split brain resolver's) decision
        awaitMembers(waiter, 1);

        startReplayNode(seedPort, "second");
        awaitMembers(waiter, 2);

        Set<Long> confirmed = new HashSet<>(confirmedBeforeKill);
        while (confirmed.size() < BATCHES) {
            ReplayProducer.Confirmed c = confirms.receiveMessage(Duration.ofSeconds(90));
            assertTrue(c.ok(), "batch " + c.tag() + " confirmed in time");
            confirmed.add(c.tag());
        }

        // every batch is stored, exactly once, on the new node, the confirmed-before-kill ones included
        Set<String> stored = new HashSet<>();
        int storedCount = 0;
        TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
        Set<ActorRef<ReplayShard.Command>> shards = new HashSet<>();
        listing.awaitAssert(Duration.ofSeconds(30), () -> {
            kit.system().receptionist().tell(Receptionist.find(ReplayShard.SERVICE_KEY, listing.ref()));
            Set<ActorRef<ReplayShard.Command>> found = listing.receiveMessage().getServiceInstances(
                    ReplayShard.SERVICE_KEY);
            assertEquals(2, found.size());
            shards.clear();
            shards.addAll(found);
            return null;
        });
        TestProbe<ReplayShard.StoredIds> ids = kit.createTestProbe();
        TestProbe<ReplayShard.Stats> stats = kit.createTestProbe();
        long recoveredFromLog = 0;
        for (ActorRef<ReplayShard.Command> shard : shards) {
            shard.tell(new ReplayShard.GetStoredIds(ids.ref()));
            ReplayShard.StoredIds got = ids.receiveMessage(Duration.ofSeconds(10));
            storedCount += got.ids().size();
            stored.addAll(got.ids());
            shard.tell(new ReplayShard.GetStats(stats.ref()));
            ReplayShard.Stats s = stats.receiveMessage(Duration.ofSeconds(10));
            recoveredFromLog += s.recovery().replayedInserts() + s.recovery().snapshotItems();
        }
        assertTrue(recoveredFromLog > 0, "the new shards recovered data from the log");
        for (long b : confirmedBeforeKill) {
            for (int i = 0; i < ITEMS_PER_BATCH; i++) {
                assertTrue(stored.contains("agent-7#" + (b * ITEMS_PER_BATCH + i)),
                        "batch " + b + " was confirmed before the kill and must survive it");
            }
        }
        assertEquals(BATCHES * ITEMS_PER_BATCH, stored.size(), "every batch stored");
        assertEquals(stored.size(), storedCount, "and none twice");
    }
}
