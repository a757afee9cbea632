package io.troupe.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.cluster.http.AdminApi.AgentList;
import io.troupe.cluster.http.AdminApi.AgentSelection;
import io.troupe.cluster.http.AdminApi.AgentView;
import io.troupe.cluster.http.AdminApi.ScaleRequest;
import io.troupe.cluster.http.AdminApi.Scaled;
import io.troupe.cluster.json.JsonCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code troupe agents ...}: a running job's agents, over its admin API. */
@Command(name = "agents", mixinStandardHelpOptions = true,
        description = {"List a running job's agents, pause or resume them, or scale how many act.",
            "pause/resume/scale need the job's bearer token in TROUPE_ADMIN_TOKEN."},
        subcommands = {AgentsCommand.ListAgents.class, AgentsCommand.Pause.class, AgentsCommand.Resume.class,
            AgentsCommand.Scale.class})
final class AgentsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every agent: node, state, counters.")
    static final class ListAgents implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Override
        public Integer call() {
            JsonNode a = options.client().get("/troupe/agents");
            options.print(a, () -> {
                System.out.printf("%-12s %-36s %-18s %12s %9s %7s %7s%n", "agent", "node", "state", "steps",
                        "episodes", "policy", "reward");
                for (AgentView o : JsonCodec.convert(a, AgentList.class, "the answer to GET /troupe/agents")
                        .agents()) {
                    System.out.printf("%-12s %-36s %-18s %12s %9s %7s %7s%n", o.agent(), o.node(), o.state(),
                            value(o.steps()), value(o.episodes()), value(o.policyVersion()), value(o.rewardVersion()));
                }
            });
            return 0;
        }

        private static String value(Long n) {
            return n == null ? "-" : n.toString();
        }
    }

    /** pause and resume: the named agents, or all. */
    abstract static class Toggle implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Parameters(paramLabel = "AGENT", arity = "0..*", description = "agent ids (default: all)")
        List<String> agents = new ArrayList<>();

        abstract String action();

        @Override
        public Integer call() {
            JsonNode a = options.client().post("/troupe/agents/" + action(), new AgentSelection(agents));
            options.print(a, () -> System.out.println(action() + "d: " + a.path(action() + "d")));
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Pause agents: they stop stepping; their envs wait mid-episode.")
    static final class Pause extends Toggle {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume paused agents.")
    static final class Resume extends Toggle {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = "Let agents 0..N-1 act and pause the others (N at most the job's troupe.train.num-agents).")
    static final class Scale implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Parameters(paramLabel = "N", description = "how many agents act")
        int count;

        @Override
        public Integer call() {
            JsonNode a = options.client().post("/troupe/agents/scale", new ScaleRequest(count));
            options.print(a, () -> {
                Scaled s = JsonCodec.convert(a, Scaled.class, "the answer to POST /troupe/agents/scale");
                System.out.println("acting: " + s.active() + ", paused: " + s.paused());
            });
            return 0;
        }
    }
}
