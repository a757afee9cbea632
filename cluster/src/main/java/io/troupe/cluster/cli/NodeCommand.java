package io.troupe.cluster.cli;

import com.typesafe.config.Config;
import io.troupe.cluster.node.NodeLifecycle;
import io.troupe.cluster.node.NodeSettings;
import io.troupe.learners.model.Devices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code troupe node}: parses the node's options and runs its {@link NodeLifecycle} (join, job check, its part of the
 * job, a clean stop when the job is done).
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Start a cluster node of a distributed job (same job config on every node).",
            "Without --seed-nodes or --discovery the node starts a new cluster; SIGTERM leaves it gracefully.",
            "A node on a non-loopback address needs --tls (or --insecure): cluster members trust each other."})
final class NodeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--roles", defaultValue = "agent,replay,learner", paramLabel = "ROLES",
            description = "comma-separated: agent, replay, learner, serve (default: the training roles; serve: the "
                    + "job's policy over HTTP on troupe.serving.port, following its published versions)")
    String roles;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address other nodes reach this one at "
            + "(not loopback: needs --tls or --insecure)")
    String host;

    @Option(names = "--port", defaultValue = "2552", description = "Artery port (default 2552)")
    int port;

    @Option(names = "--seed-nodes", paramLabel = "H1:P1,H2:P2", description = "nodes to join through (none: start a "
            + "new cluster with this node as its seed)")
    String seeds;

    @Option(names = "--discovery", paramLabel = "METHOD", description = "form or join the cluster by Pekko Cluster "
            + "Bootstrap instead of --seed-nodes: kubernetes-api (pods labelled app=troupe in the pod's namespace) or "
            + "config (pekko.discovery.config.services.troupe.endpoints in --node-config); needs Pekko Management")
    String discovery;

    @Option(names = "--management-port", paramLabel = "PORT", description = "serve Pekko Management (/health/ready, "
            + "/health/alive, bootstrap's contact point) on --host:PORT (default 7626 with --discovery, else off)")
    Integer managementPort;

    @Option(names = "--node-config", paramLabel = "FILE",
            description = "node settings (default conf/cluster-node.conf of the Troupe directory)")
    Path nodeConfig;

    @Option(names = "--tls", paramLabel = "FILE", description = "Artery over TLS with mutual authentication, e.g. "
            + "conf/tls.conf (key and trust stores from TROUPE_TLS_* environment variables)")
    Path tls;

    @Option(names = "--insecure", description = "bind a non-loopback --host without --tls (only on a network you "
            + "trust: any process that reaches the port can join the cluster)")
    boolean insecure;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "directory for runs/<run-id>/ on learner nodes")
    Path runDir;

    @Option(names = "--admin-port", paramLabel = "PORT", description = "serve the admin HTTP API on 127.0.0.1:PORT")
    Integer adminPort;

    @Option(names = "--pin-version", paramLabel = "N", description = "serve role: freeze the served policy at "
            + "version N (newer versions are held back until unpinned over the API)")
    Long pinVersion;

    @Parameters(paramLabel = "key=value", description = "config overrides, e.g. troupe.train.num-agents=4")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        NodeSettings node = NodeSettings.parse(roles, host, port, seeds, discovery, managementPort);
        if (pinVersion != null) {
            if (!node.roles().contains("serve")) {
                throw new IllegalArgumentException("--pin-version needs the serve role (--roles ...,serve)");
            }
            if (pinVersion < 0) {
                throw new IllegalArgumentException("--pin-version must be >= 0, got " + pinVersion);
            }
            overrides.add("troupe.serving.pin-version=" + pinVersion);
        }
        node.requireTrustedTransport(tls != null, insecure);
        // every role's part of the job needs PyTorch (agents act with it, the learner trains, serve answers): load it
        // while the actor system starts and the node joins, not after it is Up (5-10 s on a loaded machine)
        Devices.preloadEngine();
        // the job config over the node settings over the modules' defaults; the options' values on top
        Config job = configOptions.load("cartpole.conf", overrides, NodeLifecycle.options(runDir, adminPort),
                NodeLifecycle.nodeDefaults(nodeConfig, tls));
        return new NodeLifecycle(node, job).run();
    }
}
