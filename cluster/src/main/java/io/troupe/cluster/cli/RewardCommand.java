package io.troupe.cluster.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code troupe reward ...}: a reward designer's commands, over the running job's admin HTTP API. */
@Command(name = "reward", mixinStandardHelpOptions = true,
        description = {"Submit, list, test and roll back reward functions of a running job (over its admin API).",
            "Mutating commands need the job's bearer token in TROUPE_ADMIN_TOKEN."},
        subcommands = {RewardCommand.List.class, RewardCommand.Show.class, RewardCommand.Set.class,
            RewardCommand.Rollback.class, RewardCommand.Test.class, RewardCommand.Templates.class})
final class RewardCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options every reward command takes. */
    static class Common extends AdminOptions {
        @Option(names = "--env", required = true, paramLabel = "ENV", description = "env id, e.g. CartPole-v1")
        String env;

        String path(String suffix) {
            return "/troupe/rewards/" + URLEncoder.encode(env, StandardCharsets.UTF_8) + suffix;
        }
    }

    /** Exactly one of an expression and a class. */
    static class Source {
        @Option(names = "--expr", paramLabel = "EXPR", description = "a reward expression, e.g. '1 - abs(theta) / 0.21'")
        String expr;

        @Option(names = "--class", paramLabel = "CLASS", description = "a RewardFunction class on every node's class path")
        String className;

        void into(Map<String, Object> body) {
            if (expr != null) {
                body.put("expr", expr);
            } else {
                body.put("class", className);
            }
        }
    }

    static void printHistory(JsonObject h) {
        System.out.printf("%s: active reward v%d%n", h.get("env").getAsString(), h.get("active").getAsLong());
        for (JsonElement e : h.getAsJsonArray("versions")) {
            System.out.println("  " + describe(e.getAsJsonObject()));
        }
    }

    static String describe(JsonObject v) {
        String kind = v.get("kind").getAsString();
        String what = kind.equals("env") ? "the env's own reward" : kind + " " + (kind.equals("expr") ? "\""
                + v.get("source").getAsString() + "\"" : v.get("source").getAsString());
        String author = v.get("author").getAsString();
        String note = v.get("note").getAsString();
        String created = v.get("created").isJsonNull() ? "" : "  " + v.get("created").getAsString();
        return (v.get("active").getAsBoolean() ? "* " : "  ") + "v" + v.get("version").getAsLong() + "  " + what
                + (author.isEmpty() ? "" : "  by " + author) + created + (note.isEmpty() ? "" : "  (" + note + ")");
    }

    static void printDryRun(JsonObject d) {
        System.out.printf("dry run on %d simulated steps (%d episodes, random actions): mean %.4f  std %.4f  "
                        + "min %.4f  p05 %.4f  p50 %.4f  p95 %.4f  max %.4f  (env reward mean %.4f)%n",
                d.get("steps").getAsInt(), d.get("episodes").getAsInt(), d.get("mean").getAsDouble(),
                d.get("std").getAsDouble(), d.get("min").getAsDouble(), d.get("p05").getAsDouble(),
                d.get("p50").getAsDouble(), d.get("p95").getAsDouble(), d.get("max").getAsDouble(),
                d.get("env_reward_mean").getAsDouble());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every reward version of an env; * is active.")
    static final class List implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Override
        public Integer call() {
            JsonElement h = common.client().get(common.path(""));
            common.print(h, () -> printHistory(h.getAsJsonObject()));
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One reward version (default: the active one).")
    static final class Show implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Option(names = "--version", paramLabel = "N", description = "the version to show")
        Long version;

        @Override
        public Integer call() {
            JsonObject h = common.client().get(common.path("")).getAsJsonObject();
            long wanted = version == null ? h.get("active").getAsLong() : version;
            for (JsonElement e : h.getAsJsonArray("versions")) {
                if (e.getAsJsonObject().get("version").getAsLong() == wanted) {
                    common.print(e, () -> System.out.println(describe(e.getAsJsonObject())));
                    return 0;
                }
            }
            throw new IllegalArgumentException(common.env + " has no reward version " + wanted + "; see reward list");
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Validate (compile + dry run) and activate a new reward version on every agent.")
    static final class Set implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--note", paramLabel = "TEXT", description = "why (kept with the version)")
        String note;

        @Option(names = "--author", paramLabel = "NAME", description = "who (default: $USER)")
        String author;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            source.into(body);
            if (note != null) {
                body.put("note", note);
            }
            String who = author != null ? author : System.getenv().getOrDefault("USER", "");
            if (!who.isEmpty()) {
                body.put("author", who);
            }
            JsonElement a = common.client().post(common.path(""), body);
            common.print(a, () -> {
                JsonObject o = a.getAsJsonObject();
                System.out.printf("%s: reward v%d is active; agents switch at their next episode boundary%n",
                        o.get("env").getAsString(), o.get("active").getAsLong());
                printDryRun(o.getAsJsonObject("dry_run"));
            });
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Re-activate the version active before the current one, or --to a version.")
    static final class Rollback implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Option(names = "--to", paramLabel = "N", description = "the version to activate")
        Long to;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            if (to != null) {
                body.put("to", to);
            }
            JsonElement a = common.client().post(common.path("/rollback"), body);
            common.print(a, () -> printHistory(a.getAsJsonObject()));
            return 0;
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Dry-run a reward on freshly simulated transitions and print its distribution; nothing "
                    + "changes.")
    static final class Test implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        @Option(names = "--steps", paramLabel = "N", defaultValue = "2000", description = "transitions (default 2000)")
        int steps;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            source.into(body);
            body.put("steps", steps);
            JsonElement a = common.client().post(common.path("/test"), body);
            common.print(a, () -> printDryRun(a.getAsJsonObject()));
            return 0;
        }
    }

    @Command(name = "templates", mixinStandardHelpOptions = true, description = "Built-in example rewards of an env.")
    static final class Templates implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Override
        public Integer call() {
            JsonElement a = common.client().get(common.path("/templates"));
            common.print(a, () -> {
                for (JsonElement e : a.getAsJsonObject().getAsJsonArray("templates")) {
                    JsonObject t = e.getAsJsonObject();
                    System.out.printf("%-14s %-50s %s%n", t.get("name").getAsString(), t.get("expr").getAsString(),
                            t.get("description").getAsString());
                }
            });
            return 0;
        }
    }
}
