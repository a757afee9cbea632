package io.troupe.cluster.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code troupe compress ...}: make a trained policy smaller or faster, and measure what that cost. Every subcommand
 * writes {@code compress-report.json} ({@link io.troupe.cluster.compress.CompressReport}) and prints its table; a bad
 * input is one line and exit 2 with nothing written. A new method is one more class in {@code subcommands}.
 */
@Command(name = "compress", mixinStandardHelpOptions = true,
        description = "Compress a trained policy (int8 quantization, ...) and report size, speed and return.",
        subcommands = {
            CompressQuantizeCommand.class,
            CompressPruneCommand.class,
            CompressDistillCommand.class,
        })
final class CompressCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
