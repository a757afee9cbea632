package io.troupe.learners.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The learner's {@code troupe.learner.intra-op-threads} is set on its own thread: the thread that sets it reads the new
 * count, a thread that already ran PyTorch keeps its own, and 0 changes nothing.
 */
class TorchThreadsTest {
    @Test
    void theCountIsSetOnTheCallingThreadAndAThreadThatAlreadyRanPyTorchKeepsItsOwn() throws Exception {
        ExecutorService agent = Executors.newSingleThreadExecutor();
        ExecutorService learner = Executors.newSingleThreadExecutor();
        try {
            int before = CompletableFuture.supplyAsync(() -> {
                try (NDManager m = NDManager.newBaseManager()) {
                    m.ones(new ai.djl.ndarray.types.Shape(64, 64)).matMul(m.ones(
                            new ai.djl.ndarray.types.Shape(64, 64))).sum().getFloat();
                }
                return JniUtils.getNumThreads();
            }, agent).get(60, TimeUnit.SECONDS);
            int set = CompletableFuture.supplyAsync(() -> TorchThreads.setOnThisThread(before + 1), learner)
                    .get(60, TimeUnit.SECONDS);
            assertEquals(before + 1, set, "the learner's thread reads the count it set");
            assertEquals(before + 1, CompletableFuture.supplyAsync(() -> TorchThreads.setOnThisThread(0), learner)
                    .get(60, TimeUnit.SECONDS), "0 keeps the thread's count");
            assertEquals(before, CompletableFuture.supplyAsync(JniUtils::getNumThreads, agent)
                    .get(60, TimeUnit.SECONDS), "a thread that already ran PyTorch keeps its count");
            CompletableFuture.supplyAsync(() -> TorchThreads.setOnThisThread(before), learner)
                    .get(60, TimeUnit.SECONDS); // leave the process's count as it was for later tests
        } finally {
            agent.shutdownNow();
            learner.shutdownNow();
        }
    }
}
