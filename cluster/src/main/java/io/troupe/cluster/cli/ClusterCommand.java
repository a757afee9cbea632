package io.troupe.cluster.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
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

    static void printMembers(JsonObject m) {
        System.out.println("self " + m.get("self").getAsString() + ", leader "
                + (m.get("leader").isJsonNull() ? "none" : m.get("leader").getAsString()));
        for (JsonElement e : m.getAsJsonArray("members")) {
            JsonObject o = e.getAsJsonObject();
            System.out.printf("  %-40s %-8s %-12s %s%n", o.get("address").getAsString(), o.get("status").getAsString(),
                    o.get("reachable").getAsBoolean() ? "reachable" : "UNREACHABLE", o.get("roles"));
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The job's figures and the members.")
    static final class Status implements Callable<Integer> {
        @Mixin
        AdminOptions options;

        @Override
        public Integer call() {
            AdminClient client = options.client();
            JsonObject status = client.get("/troupe/status").getAsJsonObject();
            JsonObject members = client.get("/troupe/cluster/members").getAsJsonObject();
            JsonObject both = new JsonObject();
            both.add("status", status);
            both.add("cluster", members);
            options.print(both, () -> {
                for (Map.Entry<String, JsonElement> e : status.entrySet()) {
                    if (!e.getKey().equals("members") && e.getValue().isJsonPrimitive()) {
                        System.out.printf("%-26s %s%n", e.getKey(), e.getValue().getAsString());
                    }
                }
                printMembers(members);
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
            JsonElement a = options.client().post("/troupe/cluster/" + action(), Map.of("address", address));
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
