package io.troupe.replay.shard;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Runs tasks one at a time, in submission order, on an executor (a shard's blocking-I/O dispatcher), so the shard's
 * store has one owner at a time without a lock. After a task fails, later tasks do not run: they complete with that
 * failure (a batch logged after a failed write is never reported synced). Submit from one thread (the owning actor).
 */
final class SerialLane {
    private final Executor executor;
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

    SerialLane(Executor executor) {
        this.executor = executor;
    }

    <T> CompletionStage<T> submit(Supplier<T> task) {
        CompletableFuture<T> next = tail.thenApplyAsync(previous -> task.get(), executor);
        tail = next;
        return next;
    }
}
