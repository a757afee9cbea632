package io.troupe.replay.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.core.experience.ExperienceBatch;
import io.troupe.replay.Items;
import io.troupe.replay.durable.LogFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.dispatch.DispatcherPrerequisites;
import org.apache.pekko.dispatch.ExecutorServiceConfigurator;
import org.apache.pekko.dispatch.ExecutorServiceFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shard's file I/O runs on {@code troupe.replay.blocking-io-dispatcher}, never on the actor's thread: with that
 * dispatcher held (a disk that does not answer), the shard still answers, and confirms nothing until its fsync ran.
 */
class ReplayShardIoTest {
    /** Closed: tasks of the blocking-I/O dispatcher wait (the test's stand-in for a slow disk). */
    private static volatile CountDownLatch gate = new CountDownLatch(0);
    private static final Set<String> IO_THREADS = ConcurrentHashMap.newKeySet();
    private static final String THREAD_PREFIX = "gated-blocking-io-";
    private static ActorTestKit kit;

    @TempDir
    Path dir;

    private ActorRef<ReplayShard.Command> shard;

    /** The blocking-I/O dispatcher's executor in this test: a real pool whose tasks pass the gate first. */
    public static final class GatedExecutorConfigurator extends ExecutorServiceConfigurator {
        public GatedExecutorConfigurator(Config config, DispatcherPrerequisites prerequisites) {
            super(config, prerequisites);
        }

        @Override
        public ExecutorServiceFactory createExecutorServiceFactory(String id, ThreadFactory threadFactory) {
            ThreadFactory named = task -> {
                Thread t = threadFactory.newThread(task);
                t.setName(THREAD_PREFIX + t.getName());
                return t;
            };
            return () -> new Gated(Executors.newFixedThreadPool(2, named));
        }
    }

    private static final class Gated extends AbstractExecutorService {
        private final ExecutorService pool;

        Gated(ExecutorService pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            pool.execute(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                IO_THREADS.add(Thread.currentThread().getName());
                task.run();
            });
        }

        @Override
        public void shutdown() {
            pool.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return pool.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return pool.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return pool.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return pool.awaitTermination(timeout, unit);
        }
    }

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("replay-shard-io-test", ConfigFactory.parseString(
                ReplayShard.BLOCKING_IO_DISPATCHER + ".executor = \"" + GatedExecutorConfigurator.class.getName()
                        + "\"").withFallback(ConfigFactory.load()));
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @AfterEach
    void stopShard() {
        gate.countDown();
        if (shard != null) {
            kit.stop(shard, Duration.ofSeconds(10)); // before the temporary directory goes away
        }
    }

    private ReplaySettings wal() {
        return ReplaySettings.fromConfig(ShardProbeHarness.replayConfig(dir, "troupe.replay.durability.mode = wal"));
    }

    private ReplayShard.Stats stats() {
        TestProbe<ReplayShard.Stats> probe = kit.createTestProbe();
        shard.tell(new ReplayShard.GetStats(probe.ref()));
        return probe.receiveMessage();
    }

    @Test
    void aBatchIsConfirmedOnlyAfterItsFsyncRanOnTheBlockingIoDispatcher() {
        ShardProbeHarness h = new ShardProbeHarness(kit).start("replay-0", wal(), Optional.empty());
        shard = h.shard;
        gate = new CountDownLatch(1);
        IO_THREADS.clear();
        h.deliver("agent-a", 1, ExperienceBatch.of(List.of(Items.unroll(Items.CARTPOLE, "agent-a", 0, 8, 0, 0))));
        assertEquals(1, stats().batchesStored(), "the shard stored the batch and answers while its fsync waits");
        h.confirms.expectNoMessage(Duration.ofMillis(300));
        gate.countDown();
        h.confirms.receiveMessage(Duration.ofSeconds(5));
        assertFalse(IO_THREADS.isEmpty());
        for (String thread : IO_THREADS) {
            assertTrue(thread.startsWith(THREAD_PREFIX), thread);
        }
    }

    @Test
    void recoveryRunsOnTheBlockingIoDispatcherAndTheShardServesAfterIt() {
        gate = new CountDownLatch(1);
        TestProbe<ConsumerController.Start<ExperienceBatch>> controller = kit.createTestProbe();
        LogFormat format = LogFormat.fromConfig(ConfigFactory.load());
        shard = kit.spawn(ReplayShard.create("replay-1", wal(), Optional.empty(), format, controller.ref()));
        TestProbe<ReplayShard.Stats> probe = kit.createTestProbe();
        shard.tell(new ReplayShard.GetStats(probe.ref()));
        controller.expectNoMessage(Duration.ofMillis(300)); // still recovering: no deliveries asked for yet
        probe.expectNoMessage(Duration.ZERO);
        gate.countDown();
        controller.receiveMessage(Duration.ofSeconds(5));
        assertEquals("replay-1", probe.receiveMessage(Duration.ofSeconds(5)).shardId(), "stashed, then answered");
    }
}
