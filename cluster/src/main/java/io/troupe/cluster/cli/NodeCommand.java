package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.troupe.cluster.http.AdminServer;
import io.troupe.cluster.http.AdminSettings;
import io.troupe.cluster.config.JobConfig;
import io.troupe.cluster.node.JobEnd;
import io.troupe.cluster.node.JobGuard;
import io.troupe.cluster.node.JobIdentity;
import io.troupe.cluster.node.NodeSettings;
import io.troupe.cluster.node.ClusterJob;
import io.troupe.cluster.node.EmbeddedNode;
import io.troupe.cluster.run.JobDriver;
import io.troupe.cluster.run.ProgressLine;
import io.troupe.cluster.run.RunDirectory;
import io.troupe.cluster.run.JobSnapshot;
import io.troupe.cluster.run.RunReporter;
import io.troupe.cluster.run.TrainSettings;
import io.troupe.environments.EnvRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code troupe node}: one node of a distributed job. It joins the cluster through the seed nodes, checks that the
 * cluster runs the same job, and starts its part (agents, replay shards, the learner and the run's metrics, by role).
 * The node hosting the learner singleton reports the run like {@code train} does; when the job is done it raises a
 * cluster-wide flag and every node leaves. SIGTERM makes a node leave gracefully at any time.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Start a cluster node of a distributed job (same job config on every node).",
            "Without --seed-nodes the node starts a new cluster; SIGTERM leaves it gracefully."})
final class NodeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--roles", defaultValue = "agent,replay,learner", paramLabel = "ROLES",
            description = "comma-separated: agent, replay, learner (default: all)")
    String roles;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address other nodes reach this one at")
    String host;

    @Option(names = "--port", defaultValue = "2552", description = "Artery port (default 2552)")
    int port;

    @Option(names = "--seed-nodes", paramLabel = "H1:P1,H2:P2", description = "nodes to join through (none: start a "
            + "new cluster with this node as its seed)")
    String seeds;

    @Option(names = "--node-config", paramLabel = "FILE",
            description = "node settings (default conf/cluster-node.conf of the Troupe directory)")
    Path nodeConfig;

    @Option(names = "--tls", paramLabel = "FILE", description = "Artery over TLS with mutual authentication, e.g. "
            + "conf/tls.conf (key and trust stores from TROUPE_TLS_* environment variables)")
    Path tls;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "directory for runs/<run-id>/ on learner nodes")
    Path runDir;

    @Option(names = "--admin-port", paramLabel = "PORT", description = "serve the admin HTTP API on 127.0.0.1:PORT")
    Integer adminPort;

    @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.train.num-agents=4")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        NodeSettings node = NodeSettings.parse(roles, host, port, seeds);
        List<String> all = new ArrayList<>(overrides);
        all.add("troupe.train.mode = cluster");
        if (runDir != null) {
            all.add("troupe.train.runs-dir=\"" + runDir + "\"");
        }
        if (adminPort != null) {
            all.add("troupe.admin.port=" + adminPort);
        }
        Path nodeFile = nodeConfig != null ? nodeConfig : Path.of(System.getProperty("troupe.home", "."), "conf",
                "cluster-node.conf");
        if (nodeConfig != null && !nodeFile.toFile().isFile()) {
            throw new IllegalArgumentException("--node-config: " + nodeFile + " is not a file");
        }
        Config nodeDefaults = nodeFile.toFile().isFile() ? ConfigFactory.parseFile(nodeFile.toFile())
                : ConfigFactory.empty();
        if (tls != null) {
            if (!tls.toFile().isFile()) {
                throw new IllegalArgumentException("--tls: " + tls + " is not a file");
            }
            nodeDefaults = ConfigFactory.parseFile(tls.toFile()).withFallback(nodeDefaults);
        }
        // the job config over the node settings over the modules' defaults
        Config job = configOptions.load("cartpole.conf", all, nodeDefaults);
        TrainSettings settings = TrainSettings.fromConfig(job);
        EnvRegistry registry = EnvRegistry.fromConfig(job);
        registry.registration(settings.env());
        Config config = node.pekkoConfig(ConfigFactory.parseString(ClusterJob.nodeConfig(settings)).withFallback(job));
        requireFreePort(host, port);

        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), NodeSettings.SYSTEM_NAME, config);
        EmbeddedNode.startReplicator(system);
        System.out.println("troupe node: roles " + node.roles() + " at " + Cluster.get(system).selfMember().address()
                + ", joining through " + node.seedAddresses(port));
        if (!awaitUp(system, node, config.getDuration("troupe.node.join-report-interval"))) {
            return 1;
        }
        List<String> differences = JobGuard.check(system, JobIdentity.of(config),
                config.getDuration("troupe.node.job-check-timeout"));
        if (!differences.isEmpty()) {
            System.err.println("troupe: this node's job differs from the cluster's, so it will not join: "
                    + String.join("; ", differences));
            leave(system);
            return TroupeCli.USER_ERROR;
        }
        System.out.println("troupe node: Up; the cluster has " + upMembers(system) + " member(s) Up; job "
                + settings.env() + " with " + settings.algorithm());
        boolean driver = node.roles().contains("learner");
        RunDirectory run = driver ? RunDirectory.create(settings.runsDir(), settings.env(), settings.algorithm(),
                settings.seed(), LocalDateTime.now()) : null;
        Path runPath = run != null ? run.path() : settings.runsDir();
        if (run != null) {
            run.writeConfig(JobConfig.renderTroupe(config));
        }
        ClusterJob.Handles handles = ClusterJob.start(system, config, settings, registry, runPath);
        AdminSettings admin = AdminSettings.fromConfig(config, System.getenv());
        RunReporter reporter = run != null ? new RunReporter(settings, run, ProgressLine.forStdout(), handles.spec())
                : null;
        AdminServer server = admin.enabled() ? AdminServer.start(system, admin, registry,
                reporter != null ? reporter::latest : () -> JobSnapshot.node(node.roles().toString())) : null;
        if (server != null) {
            System.out.println("troupe node: admin API on " + server.url());
        }
        system.systemActorOf(JobEnd.follower(() -> System.out.println("troupe node: the job is done; leaving")),
                "job-end", org.apache.pekko.actor.typed.Props.empty());
        try {
            if (reporter != null) {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("mode", "cluster-nodes");
                extra.put("agents", settings.numAgents());
                extra.put("envs_per_agent", settings.envsPerAgent());
                // every learner node runs a driver; the one hosting the learner singleton (the oldest) reports
                Map<String, Object> summary = new JobDriver(system, settings, handles, reporter,
                        ProgressLine.forStdout()).run(() -> system.whenTerminated().isCompleted(),
                        () -> hostsLearner(system), extra);
                if (summary != null) {
                    System.out.printf("%s after %,d env steps in %.1f s: solved=%s, mean return (100) %.2f; summary "
                                    + "in %s%n", summary.get("stop_reason"), (Long) summary.get("env_steps"),
                            (Double) summary.get("wall_s"), summary.get("solved"),
                            (Double) summary.get("mean_return_100"), run.path().resolve("summary.json"));
                    JobEnd.announce(system);
                }
            }
            system.getWhenTerminated().toCompletableFuture().get();
            System.out.println("troupe node: left the cluster");
            return 0;
        } finally {
            if (server != null) {
                server.close();
            }
            if (run != null) {
                run.close();
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

    /** Waits until this node is Up, saying every interval that it is still trying; false if the system stopped. */
    private static boolean awaitUp(ActorSystem<Void> system, NodeSettings node, Duration interval) throws Exception {
        CompletableFuture<Void> up = new CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> up.complete(null));
        long started = System.nanoTime();
        while (true) {
            try {
                up.get(interval.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (TimeoutException e) {
                if (system.whenTerminated().isCompleted()) {
                    return false;
                }
                System.out.printf("troupe node: not in the cluster after %.0f s; the seed nodes %s do not answer yet "
                        + "(are they running and reachable?); still trying%n", (System.nanoTime() - started) / 1e9,
                        node.seedNodes().isEmpty() ? "(this node)" : node.seedNodes());
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

    private static void leave(ActorSystem<?> system) throws Exception {
        CoordinatedShutdown.get(Adapter.toClassic(system)).runAll(CoordinatedShutdown.clusterLeavingReason())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
}
