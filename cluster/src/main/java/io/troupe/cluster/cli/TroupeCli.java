package io.troupe.cluster.cli;

import com.typesafe.config.ConfigException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./troupe}: the command line of Troupe. User errors print one clear line and exit 2; no stack traces. */
@Command(name = "troupe", mixinStandardHelpOptions = true, version = "troupe 0.1.0",
        description = "Actor-model reinforcement learning on the JVM.",
        subcommands = {TrainCommand.class, NodeCommand.class, ClusterCommand.class, AgentsCommand.class,
            RewardCommand.class,
            EvalCommand.class, ExportCommand.class, CompressCommand.class, EnvCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class TroupeCli implements Runnable {
    /** Exit code of a user error (bad config, unknown id, bad argument). */
    public static final int USER_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A command line with Troupe's error handling. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new TroupeCli());
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
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
