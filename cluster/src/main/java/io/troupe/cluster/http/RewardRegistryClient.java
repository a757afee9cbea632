package io.troupe.cluster.http;

import io.troupe.core.reward.RewardHistory;
import io.troupe.core.reward.RewardSpec;
import io.troupe.environments.EnvRegistry;
import io.troupe.environments.reward.RewardValidator;
import io.troupe.transport.registry.RewardRegistry;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * Reads and changes reward histories in the registry (Distributed Data): reads are local, writes go to a majority of
 * nodes. A new version is validated (compiled against the env's variables and dry-run) before it is written, so
 * nothing invalid ever becomes active. Dry runs take up to {@code troupe.admin.max-dry-run-steps} steps and run on
 * {@value AdminSettings#DRY_RUN_DISPATCHER}, never on Pekko HTTP's threads or the default dispatcher; beyond
 * {@code max-pending-dry-runs} running or waiting, one more is refused at once.
 */
public final class RewardRegistryClient {
    private final ActorSystem<?> system;
    private final EnvRegistry envs;
    private final AdminSettings settings;
    private final SelfUniqueAddress self;
    private final Executor dryRuns;
    private final Semaphore pendingDryRuns;

    public RewardRegistryClient(ActorSystem<?> system, EnvRegistry envs, AdminSettings settings) {
        this.system = system;
        this.envs = envs;
        this.settings = settings;
        this.self = DistributedData.get(system).selfUniqueAddress();
        this.dryRuns = system.dispatchers().lookup(DispatcherSelector.fromConfig(AdminSettings.DRY_RUN_DISPATCHER));
        this.pendingDryRuns = new Semaphore(settings.maxPendingDryRuns());
    }

    /** What a submission produced: the new history and the dry run that validated it. */
    public record Submitted(RewardHistory history, RewardValidator.Report dryRun) {
    }

    /** The env's history (version 0 alone when nothing was submitted). Unknown env ids fail with the known ones. */
    public CompletionStage<RewardHistory> history(String envId) {
        envs.spec(envId); // throws, listing the known ids
        return AskPattern.<Replicator.Command, Replicator.GetResponse<LWWRegister<RewardHistory>>>ask(
                DistributedData.get(system).replicator(),
                replyTo -> new Replicator.Get<>(RewardRegistry.key(envId), Replicator.readLocal(), replyTo),
                settings.timeouts().registryRead(), system.scheduler()).thenApply(r -> {
                    if (r instanceof Replicator.GetSuccess<LWWRegister<RewardHistory>> ok) {
                        return ok.get(ok.key()).getValue();
                    }
                    return RewardHistory.initial(envId);
                });
    }

    /** Validates ({@code dryRunSteps} simulated transitions) and appends a new active version. */
    public CompletionStage<Submitted> submit(String envId, String kind, String source, String author, String note) {
        return history(envId).thenCompose(h -> {
            RewardSpec candidate = h.submit(kind, source, author, System.currentTimeMillis(), note).activeSpec();
            return dryRun(candidate, settings.dryRunSteps()).thenCompose(report -> update(envId, current ->
                    current.submit(kind, source, author, System.currentTimeMillis(), note))
                    .thenApply(written -> new Submitted(written, report)));
        });
    }

    /**
     * Dry-runs a reward for {@code steps} transitions without writing anything. More steps than
     * {@code troupe.admin.max-dry-run-steps} are refused here, before anything runs.
     */
    public CompletionStage<RewardValidator.Report> test(String envId, String kind, String source, int steps) {
        if (steps < 1 || steps > settings.maxDryRunSteps()) {
            throw new IllegalArgumentException("\"steps\" must be in 1.." + settings.maxDryRunSteps()
                    + " (the maximum is troupe.admin.max-dry-run-steps), got " + steps);
        }
        return dryRun(RewardHistory.initial(envId).submit(kind, source, "", 0, "").activeSpec(), steps);
    }

    /** Runs the dry run on the dry-run dispatcher, or refuses it at once when too many are pending. */
    private CompletionStage<RewardValidator.Report> dryRun(RewardSpec spec, int steps) {
        if (!pendingDryRuns.tryAcquire()) {
            return CompletableFuture.failedFuture(new IllegalStateException(settings.maxPendingDryRuns()
                    + " reward dry runs are running or waiting (troupe.admin.max-pending-dry-runs): try again when "
                    + "one has finished"));
        }
        try {
            return CompletableFuture.supplyAsync(() -> RewardValidator.validate(envs, spec, steps, 1,
                    settings.javaCallBudget()), dryRuns).whenComplete((report, failure) -> pendingDryRuns.release());
        } catch (RuntimeException e) { // the dispatcher refused the task: it will never release the permit
            pendingDryRuns.release();
            throw e;
        }
    }

    /** Re-activates {@code to}, or the version active before the current one. */
    public CompletionStage<RewardHistory> rollback(String envId, Optional<Long> to) {
        return history(envId).thenCompose(h -> {
            h.rollback(to); // refuses an unknown version or an empty stack before anything is written
            return update(envId, current -> current.rollback(to));
        });
    }

    private CompletionStage<RewardHistory> update(String envId, UnaryOperator<RewardHistory> change) {
        AtomicReference<RewardHistory> written = new AtomicReference<>();
        RewardHistory initial = RewardHistory.initial(envId);
        return AskPattern.<Replicator.Command, Replicator.UpdateResponse<LWWRegister<RewardHistory>>>ask(
                DistributedData.get(system).replicator(),
                replyTo -> new Replicator.Update<>(RewardRegistry.key(envId), LWWRegister.create(self, initial),
                        new Replicator.WriteMajority(settings.writeTimeout()), replyTo, register -> {
                            RewardHistory next = change.apply(register.getValue());
                            written.set(next);
                            return register.withValue(self, next);
                        }),
                // the replicator itself answers UpdateTimeout after writeTimeout; ask-timeout is its margin to do so
                settings.writeTimeout().plus(settings.timeouts().ask()), system.scheduler()).thenCompose(r -> {
                    if (r instanceof Replicator.UpdateSuccess<?>) {
                        return CompletableFuture.completedFuture(written.get());
                    }
                    if (r instanceof Replicator.UpdateTimeout<?>) {
                        // written locally and on some nodes: it spreads by gossip, but a majority did not confirm
                        return CompletableFuture.failedFuture(new IllegalStateException("reward registry: a majority "
                                + "of nodes did not confirm the write within " + settings.writeTimeout()
                                + "; it was applied on this node and spreads as nodes become reachable"));
                    }
                    return CompletableFuture.failedFuture(new IllegalStateException("reward registry write failed: "
                            + r));
                });
    }
}
