package io.troupe.cluster.cli;

import io.troupe.cluster.plot.RunTable;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code troupe runs [DIR]}: a table of the runs under DIR (default runs/) from their summary.json. */
@Command(name = "runs", mixinStandardHelpOptions = true,
        description = "List the runs under DIR (default runs/): env, algorithm, seed, solved, steps and time to solve.")
final class RunsCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "DIR", defaultValue = "runs",
            description = "a runs directory or one run directory (default runs)")
    Path dir;

    @Override
    public Integer call() {
        List<RunTable.Row> rows = RunTable.read(dir);
        if (rows.isEmpty()) {
            System.out.println("no finished run under " + dir + " (a run has a summary.json once it ends)");
            return 0;
        }
        System.out.print(RunTable.render(rows));
        return 0;
    }
}
