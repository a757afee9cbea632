package io.troupe.cluster.cli;

import com.typesafe.config.ConfigException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./troupe}: the command line of Troupe. User errors print one clear line and exit 2; no stack traces. */
@Command(name = "troupe", mixinStandardHelpOptions = true, version = "troupe 0.1.0",
        description = "Actor-model reinforcement learning on the JVM.")
public final class TroupeCli implements Runnable {
    /** Exit code of a user error (bad config, unknown id, bad argument). */
    public static final int USER_ERROR = 2;

    /** The subcommands by name, in the order the usage lists them. */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

    private static Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> all = new LinkedHashMap<>();
        all.put("train", TrainCommand::new);
        all.put("node", NodeCommand::new);
        all.put("cluster", ClusterCommand::new);
        all.put("agents", AgentsCommand::new);
        all.put("reward", RewardCommand::new);
        all.put("eval", EvalCommand::new);
        all.put("export", ExportCommand::new);
        all.put("serve", ServeCommand::new);
        all.put("compress", CompressCommand::new);
        all.put("env", EnvCommand::new);
        all.put("bench", BenchCommand::new);
        all.put("runs", RunsCommand::new);
        all.put("plot", PlotCommand::new);
        all.put("help", CommandLine.HelpCommand::new);
        return Collections.unmodifiableMap(all);
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A command line with every subcommand and Troupe's error handling. */
    public static CommandLine commandLine() {
        return commandLine(SUBCOMMANDS.keySet());
    }

    /**
     * The command line {@code args} need: only the subcommand they name when they name one (picocli reads the
     * annotations of every command it is given, about a tenth of a second for Troupe's whole tree at every start),
     * otherwise every subcommand (the usage, {@code help}, and the suggestions for an unknown name list them all).
     */
    static CommandLine commandLineFor(String... args) {
        if (args.length > 0 && SUBCOMMANDS.containsKey(args[0]) && !args[0].equals("help")) {
            return commandLine(List.of(args[0]));
        }
        return commandLine();
    }

    private static CommandLine commandLine(Collection<String> names) {
        CommandLine cl = new CommandLine(new TroupeCli());
        for (String name : names) {
            cl.addSubcommand(name, SUBCOMMANDS.get(name).get());
        }
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof IllegalArgumentException || ex instanceof ConfigException
                    || ex instanceof IllegalStateException || ex instanceof UncheckedIOException) {
                err.println("troupe: " + ex.getMessage());
                err.flush();
                return USER_ERROR;
            }
            throw ex;
        });
        return cl;
    }

    public static void main(String[] args) {
        int code = commandLineFor(args).execute(args);
        System.exit(code);
    }
}
