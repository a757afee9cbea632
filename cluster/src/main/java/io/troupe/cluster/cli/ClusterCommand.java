package io.troupe.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.troupe.cluster.http.AdminApi.Member;
import io.troupe.cluster.http.AdminApi.MemberAddress;
import io.troupe.cluster.http.AdminApi.Members;
import io.troupe.cluster.json.JsonCodec;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code troupe cluster ...}: membership of a running job's cluster, over its admin API. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"Show the members of a running job's cluster, make a node join, leave or be downed.",
            "join/leave/down need the job's bearer token in TROUPE_ADMIN_TOKEN."},
        subcommands = {ClusterCommand.Status.class, ClusterCommand.Join.class, ClusterCommand.Leave.class,
            ClusterCommand.Down.class})
final class ClusterCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static void printMembers(Members m) {
        System.out.println("self " + m.self() + ", leader " + (m.leader() == null ? "none" : m.leader()));
        for (Member o : m.members()) {
            System.out.printf("  %-40s %-8s %-12s %s%n", o.address(), o.status(), o.reachable() ? "reachable"
                    : "UNREACHABLE", o.roles());
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The job's figures and the members.")
    static final class Status implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Override
        public Integer call() {
            AdminClient client = options.client();
            JsonNode status = client.get("/troupe/status");
            JsonNode members = client.get("/troupe/cluster/members");
            ObjectNode both = JsonCodec.mapper().createObjectNode();
            both.set("status", status);
            both.set("cluster", members);
            options.print(both, () -> {
                for (Iterator<Map.Entry<String, JsonNode>> it = status.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (!e.getKey().equals("members") && e.getValue().isValueNode() && !e.getValue().isNull()) {
                        System.out.printf("%-26s %s%n", e.getKey(), e.getValue().asText());
                    }
                }
                printMembers(JsonCodec.convert(members, Members.class, "the answer to GET "
                        + "/troupe/cluster/members"));
            });
            return 0;
        }
    }

    /** join, leave and down: one address each. */
    abstract static class Membership implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Parameters(paramLabel = "ADDRESS", description = "a member address, e.g. pekko://troupe@10.0.0.5:2552")
        String address;

        abstract String action();

        @Override
        public Integer call() {
            JsonNode a = options.client().post("/troupe/cluster/" + action(), new MemberAddress(address));
            options.print(a, () -> System.out.println(action() + " " + address + ": accepted"));
            return 0;
        }
    }

    @Command(name = "join", mixinStandardHelpOptions = true,
            description = "Make the node serving the admin API join the cluster at ADDRESS.")
    static final class Join extends Membership {
        @Override
        String action() {
            return "join";
        }
    }

    @Command(name = "leave", mixinStandardHelpOptions = true,
            description = "Make the member at ADDRESS leave gracefully (its agents and replay shards move first).")
    static final class Leave extends Membership {
        @Override
        String action() {
            return "leave";
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Down the member at ADDRESS (for a node that crashed; it cannot rejoin without a restart).")
    static final class Down extends Membership {
        @Override
        String action() {
            return "down";
        }
    }
}
