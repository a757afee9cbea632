package io.troupe.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.run.DriverSettings;
import io.troupe.cluster.run.EvaluationSettings;
import io.troupe.cluster.run.JobDriver;
import io.troupe.cluster.run.JobSnapshot;
import io.troupe.cluster.run.ProgressLine;
import io.troupe.cluster.run.RunDirectory;
import io.troupe.cluster.run.RunFacts;
import io.troupe.cluster.run.RunMode;
import io.troupe.cluster.run.RunReporter;
import io.troupe.cluster.run.RunSummary;
import io.troupe.cluster.run.StopReason;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.environments.EnvRegistry;
import io.troupe.serving.ServingSettings;
import io.troupe.serving.drift.DriftSettings;
import io.troupe.serving.node.ServeNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * The life of one node of a distributed job ({@code troupe node}): it joins the cluster through the seed nodes (or by
 * Cluster Bootstrap, {@link NodeManagement}), checks
 * that the cluster runs the same job, and starts its part (agents, replay shards, the learner and the run's metrics, by
 * role; a serve node serves the job's policy over HTTP and follows its versions). A learner node runs a
 * {@link JobDriver}; the one hosting the learner singleton reports the run, and when the job is done it prints the
 * result and raises the cluster-wide flag ({@link JobEnd}) on which every node stops cleanly ({@link OrderedStop}) and
 * leaves. SIGTERM makes a node leave gracefully at any time.
 */
public final class NodeLifecycle {
    /** Exit code of a node whose job differs from the cluster's (a user error). */
    public static final int FOREIGN_JOB = 2;

    private final NodeSettings node;
    private final Config job;

    /** {@code job} is the node's resolved job config (see {@link #nodeDefaults} and {@link #options}). */
    public NodeLifecycle(NodeSettings node, Config job) {
        this.node = node;
        this.job = job;
    }

    /**
     * The node settings under the job config: {@code nodeConfig} (else {@code conf/cluster-node.conf} of the Troupe
     * directory, if there is one), with the TLS settings of {@code tls} (may be null) on top.
     */
    public static Config nodeDefaults(Path nodeConfig, Path tls) {
        Path nodeFile = nodeConfig != null ? nodeConfig : Path.of(System.getProperty("troupe.home", "."), "conf",
                "cluster-node.conf");
        if (nodeConfig != null && !nodeFile.toFile().isFile()) {
            throw new IllegalArgumentException("--node-config: " + nodeFile + " is not a file");
        }
        Config defaults = nodeFile.toFile().isFile() ? ConfigFactory.parseFile(nodeFile.toFile())
                : ConfigFactory.empty();
        if (tls != null) {
            if (!tls.toFile().isFile()) {
                throw new IllegalArgumentException("--tls: " + tls + " is not a file");
            }
            defaults = ConfigFactory.parseFile(tls.toFile()).withFallback(defaults);
        }
        return defaults;
    }

    /** The values the node's options set, on top of the job config: values, never HOCON text (any path works). */
    public static Config options(Path runDir, Integer adminPort) {
        Config options = ConfigFactory.empty()
                .withValue("troupe.train.mode", ConfigValueFactory.fromAnyRef("cluster"));
        if (runDir != null) {
            options = options.withValue("troupe.train.runs-dir", ConfigValueFactory.fromAnyRef(runDir.toString()));
        }
        if (adminPort != null) {
            options = options.withValue("troupe.admin.port", ConfigValueFactory.fromAnyRef(adminPort));
        }
        return options;
    }

    /** Runs the node until it leaves the cluster; returns the exit code. */
    public int run() throws Exception {
        TrainSettings settings = TrainSettings.fromConfig(job);
        EnvRegistry registry = EnvRegistry.fromConfig(job);
        registry.registration(settings.env());
        if (!settings.reward().isEmpty()) {
            throw new IllegalArgumentException("troupe.train.reward = \"" + settings.reward() + "\" is applied by "
                    + "./troupe train; a job of ./troupe node processes starts on the env's own reward and is given "
                    + "another with ./troupe reward set --admin URL");
        }
        Config config = node.pekkoConfig(ClusterJob.nodeConfig(settings).withFallback(job));
        NodeTimeouts timeouts = NodeTimeouts.fromConfig(config);
        DriverSettings driverSettings = DriverSettings.fromConfig(config);
        EvaluationSettings evaluation = EvaluationSettings.fromConfig(config);
        ClusterJob.checkSettings(config, settings); // the learner's, replay's and pacing settings, before joining
        ClusterJob.replacedSettings(job, settings).forEach(line -> System.err.println("troupe node: " + line));
        requireFreePort(node.host(), node.port());

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), NodeSettings.SYSTEM_NAME, config);
        EmbeddedNode.startReplicator(system);
        Address self = Cluster.get(system).selfMember().address();
        if (node.startsCluster()) {
            // a new cluster: this node is its seed, at the address it bound (--port 0 included)
            Cluster.get(system).manager().tell(Join.create(self));
        }
        System.out.println("troupe node: roles " + node.roles() + " at " + self + ", " + (node.startsCluster()
                ? "starting a new cluster" : node.bootstraps() ? "joining by Cluster Bootstrap (discovery "
                + node.discovery() + ")" : "joining through " + node.seedAddresses()));
        NodeManagement management;
        try {
            management = node.managed() ? NodeManagement.start(system, node) : null;
        } catch (RuntimeException e) {
            system.terminate();
            throw e;
        }
        if (management != null) {
            System.out.println("troupe node: Pekko Management on " + management.url() + " (/" + NodeSettings.READY_PATH
                    + ", /" + NodeSettings.ALIVE_PATH + (node.bootstraps() ? ", Cluster Bootstrap's contact point"
                    : "") + ")");
        }
        if (!awaitUp(system, timeouts, management)) {
            return 1;
        }
        List<String> differences = JobGuard.check(system, JobIdentity.of(config), timeouts.jobCheckTimeout());
        if (!differences.isEmpty()) {
            System.err.println("troupe: this node's job differs from the cluster's, so it will not join: "
                    + String.join("; ", differences));
            CoordinatedShutdown.get(Adapter.toClassic(system)).runAll(CoordinatedShutdown.clusterLeavingReason())
                    .toCompletableFuture().get(timeouts.terminateTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return FOREIGN_JOB;
        }
        System.out.println("troupe node: Up; the cluster has " + upMembers(system) + " member(s) Up; job "
                + settings.env() + " with " + settings.algorithm());
        boolean driver = node.roles().contains("learner");
        RunDirectory run = driver ? RunDirectory.create(settings.runsDir(), settings.env(), settings.algorithm(),
                settings.seed(), LocalDateTime.now()) : null;
        Path runPath = run != null ? run.path() : settings.runsDir();
        if (run != null) {
            run.writeConfig(config);
        }
        ClusterJob.Handles handles = ClusterJob.start(system, config, settings, registry, runPath);
        AdminSettings admin = AdminSettings.fromConfig(config, System.getenv());
        RunReporter reporter = run != null ? new RunReporter(settings, run, ProgressLine.forStdout(), handles.spec(),
                evaluation) : null;
        ServeNode serve = node.roles().contains("serve") ? ServeNode.start(system, ServingSettings.fromConfig(config,
                System.getenv()), handles.spec(), handles.model(), DriftSettings.fromConfig(config.getConfig(
                "troupe.serving.drift")), () -> registry.make(settings.env(), settings.envOverrides())) : null;
        if (serve != null) {
            System.out.println("troupe node: serving the job's policy on " + serve.server().url()
                    + " (following its published versions)");
        }
        // the dashboard on the admin port shows the serving panel when this node serves
        AdminServer server;
        try {
            server = admin.enabled() ? AdminServer.start(system, admin, registry,
                    reporter != null ? reporter::latest : () -> JobSnapshot.node(node.roles().toString()),
                    Optional.ofNullable(serve).map(s -> s.server().monitoringReads())) : null;
        } catch (RuntimeException e) {
            if (serve != null) {
                serve.close();
            }
            throw e;
        }
        if (server != null) {
            System.out.println("troupe node: admin API on " + server.url());
        }
        // what the job-end flags said on this node, for the driver: a learner node that takes over after the one
        // that began the end died finishes it
        AtomicBoolean jobStopping = new AtomicBoolean();
        AtomicBoolean jobDone = new AtomicBoolean();
        system.systemActorOf(JobEnd.follower(() -> {
            jobStopping.set(true);
            System.out.println("troupe node: the job is ending; this node's agents stop");
        }, () -> {
            jobDone.set(true);
            System.out.println("troupe node: the job is done; leaving");
        }, timeouts), "job-end", Props.empty());
        // the node's part runs: Pekko Management's readiness (with cluster membership) turns ready
        RoleReadiness.get(Adapter.toClassic(system)).markStarted();
        // SIGTERM: Pekko's own JVM hook leaves the cluster and terminates the system; the JVM halts when every hook
        // has returned, so this one holds it until this thread has reported leaving and closed what it opened (without
        // it the halt raced the "left the cluster" line, lost once in ClusterNodesTest)
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                finished.await(OrderedStop.longest(timeouts).toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "troupe-node-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (reporter != null) {
                report(system, settings, driverSettings,
                        JobDriver.Evaluations.of(system, evaluation, settings, registry, handles), handles,
                        reporter, run, timeouts, jobStopping, jobDone);
            }
            system.getWhenTerminated().toCompletableFuture().get();
            System.out.println("troupe node: left the cluster");
            return 0;
        } finally {
            try {
                if (serve != null) {
                    serve.close();
                }
                if (server != null) {
                    server.close();
                }
                if (run != null) {
                    run.close();
                }
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // the JVM is shutting down (SIGTERM): the hook runs and returns at once, the latch being open
                }
            }
        }
    }

    /**
     * Runs this learner node's driver: it reports while this node hosts the learner singleton (the oldest learner
     * node; another takes over when it dies); the one that ends the run prints the result and ends the job. A node
     * that takes over after the job's end began ({@code jobStopping}: the node that began it died before raising the
     * second flag) ends its run at once and finishes the job's end.
     */
    private void report(ActorSystem<Void> system, TrainSettings settings, DriverSettings driverSettings,
                        JobDriver.Evaluations evaluations, ClusterJob.Handles handles, RunReporter reporter,
                        RunDirectory run, NodeTimeouts timeouts, AtomicBoolean jobStopping, AtomicBoolean jobDone)
            throws Exception {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(Adapter.toClassic(system));
        Supplier<Optional<StopReason>> stop = () -> shutdown.getShutdownReason().isPresent() || jobDone.get()
                ? Optional.of(StopReason.INTERRUPTED)
                : jobStopping.get() ? Optional.of(StopReason.ENDED_ELSEWHERE) : Optional.empty();
        Optional<RunSummary> result = JobDriver.start(system, settings, driverSettings, evaluations, handles,
                reporter, ProgressLine.forStdout(), stop, () -> hostsLearner(system),
                RunFacts.cluster(RunMode.CLUSTER_NODES, settings.numAgents(), settings.envsPerAgent())).get();
        if (result.isPresent()) {
            RunSummary summary = result.get();
            System.out.printf("%s after %,d env steps in %.1f s: solved=%s, mean return (100) %.2f; summary in %s%n",
                    summary.stopReason(), summary.envSteps(), summary.wallS(), summary.solved(),
                    summary.meanReturn100(), run.path().resolve("summary.json"));
            System.out.flush();
            if (!shutdown.getShutdownReason().isPresent() && !jobDone.get()) {
                JobEnd.announce(system, timeouts);
            }
        }
    }

    private static void requireFreePort(String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " on " + host + " is in use (or " + host
                    + " is not an address of this machine): choose another with --port");
        }
    }

    /**
     * Waits until this node is Up, saying every interval that it is still trying (with Cluster Bootstrap: how many
     * contact points discovery finds); false if the system stopped.
     */
    private boolean awaitUp(ActorSystem<Void> system, NodeTimeouts timeouts, NodeManagement management)
            throws Exception {
        CompletableFuture<Void> up = new CompletableFuture<>();
        // the classic API (its name clashes with the typed Cluster imported here) has the Up callback
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
        long started = System.nanoTime();
        while (true) {
            try {
                up.get(timeouts.joinReportInterval().toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (TimeoutException e) {
                if (system.whenTerminated().isCompleted()) {
                    return false;
                }
                String bootstrap = management != null ? management.notJoinedReason() : null;
                if (bootstrap != null) {
                    System.out.printf("troupe node: not in the cluster after %.0f s; %s; still trying%n",
                            (System.nanoTime() - started) / 1e9, bootstrap);
                } else {
                    System.out.printf("troupe node: not in the cluster after %.0f s; the seed nodes %s do not answer "
                            + "yet (are they running and reachable?); still trying%n",
                            (System.nanoTime() - started) / 1e9,
                            node.seedNodes().isEmpty() ? "(this node)" : node.seedNodes());
                }
            }
        }
    }

    /** Whether this node is the oldest Up learner-role member: where the learner and run-metrics singletons run. */
    private static boolean hostsLearner(ActorSystem<?> system) {
        Member self = Cluster.get(system).selfMember();
        if (self.status() != MemberStatus.up() || !self.hasRole("learner")) {
            return false;
        }
        for (Member m : Cluster.get(system).state().getMembers()) {
            if (m.status() == MemberStatus.up() && m.hasRole("learner") && m.isOlderThan(self)) {
                return false;
            }
        }
        return true;
    }

    private static long upMembers(ActorSystem<?> system) {
        long n = 0;
        for (Member m : Cluster.get(system).state().getMembers()) {
            if (m.status() == MemberStatus.up()) {
                n++;
            }
        }
        return n;
    }
}
