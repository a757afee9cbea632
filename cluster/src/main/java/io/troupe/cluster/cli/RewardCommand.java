package io.troupe.cluster.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.cluster.http.AdminApi;
import io.troupe.cluster.http.AdminApi.DryRun;
import io.troupe.cluster.http.AdminApi.RewardHistoryView;
import io.troupe.cluster.http.AdminApi.RewardSubmission;
import io.troupe.cluster.http.AdminApi.RewardTest;
import io.troupe.cluster.http.AdminApi.RewardVersion;
import io.troupe.cluster.http.AdminApi.RollbackRequest;
import io.troupe.cluster.json.JsonCodec;
import io.troupe.core.reward.RewardSpec;
import io.troupe.environments.reward.RewardTemplates;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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

    }

    static void printHistory(RewardHistoryView h) {
        System.out.printf("%s: active reward v%d%n", h.env(), h.active());
        for (RewardVersion v : h.versions()) {
            System.out.println("  " + describe(v));
        }
    }

    static String describe(RewardVersion v) {
        String what = v.kind().equals(RewardSpec.ENV) ? "the env's own reward" : v.kind() + " "
                + (v.kind().equals(RewardSpec.EXPR) ? "\"" + v.source() + "\"" : v.source());
        String created = v.created() == null ? "" : "  " + v.created();
        return (v.active() ? "* " : "  ") + "v" + v.version() + "  " + what
                + (v.author().isEmpty() ? "" : "  by " + v.author()) + created
                + (v.note().isEmpty() ? "" : "  (" + v.note() + ")");
    }

    static void printDryRun(DryRun d) {
        System.out.printf("dry run on %d simulated steps (%d episodes, random actions): mean %.4f  std %.4f  "
                        + "min %.4f  p05 %.4f  p50 %.4f  p95 %.4f  max %.4f  (env reward mean %.4f)%n",
                d.steps(), d.episodes(), d.mean(), d.std(), d.min(), d.p05(), d.p50(), d.p95(), d.max(),
                d.envRewardMean());
    }

    private static RewardHistoryView history(JsonNode answer) {
        return JsonCodec.convert(answer, RewardHistoryView.class, "the reward history");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every reward version of an env; * is active.")
    static final class List implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Override
        public Integer call() {
            JsonNode h = common.client().get(common.path(""));
            common.print(h, () -> printHistory(history(h)));
            return 0;
        }
    }

    /** Help only: the standard options' {@code --version} would clash with this command's own. */
    @Command(name = "show", description = "One reward version (default: the active one).")
    static final class Show implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Option(names = "--version", paramLabel = "N", description = "the version to show")
        Long version;

        @Override
        public Integer call() {
            JsonNode answer = common.client().get(common.path(""));
            RewardHistoryView h = history(answer);
            long wanted = version == null ? h.active() : version;
            for (int i = 0; i < h.versions().size(); i++) {
                RewardVersion v = h.versions().get(i);
                if (v.version() == wanted) {
                    common.print(answer.path("versions").path(i), () -> System.out.println(describe(v)));
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
            String who = author != null ? author : System.getenv().getOrDefault("USER", "");
            JsonNode a = common.client().post(common.path(""), new RewardSubmission(source.expr, source.className,
                    note, who));
            common.print(a, () -> {
                RewardHistoryView h = history(a);
                System.out.printf("%s: reward v%d is active; agents switch at their next episode boundary%n",
                        h.env(), h.active());
                printDryRun(h.dryRun());
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
            JsonNode a = common.client().post(common.path("/rollback"), new RollbackRequest(to));
            common.print(a, () -> printHistory(history(a)));
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
            JsonNode a = common.client().post(common.path("/test"), new RewardTest(source.expr, source.className,
                    steps));
            common.print(a, () -> printDryRun(JsonCodec.convert(a, DryRun.class,
                    "the dry run")));
            return 0;
        }
    }

    @Command(name = "templates", mixinStandardHelpOptions = true, description = "Built-in example rewards of an env.")
    static final class Templates implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Common common;

        @Override
        public Integer call() {
            JsonNode a = common.client().get(common.path("/templates"));
            common.print(a, () -> {
                for (RewardTemplates.Template t : JsonCodec.convert(a, AdminApi.Templates.class,
                        "the templates").templates()) {
                    System.out.printf("%-14s %-50s %s%n", t.name(), t.expr(), t.description());
                }
            });
            return 0;
        }
    }
}
