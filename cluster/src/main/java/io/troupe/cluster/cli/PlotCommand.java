package io.troupe.cluster.cli;

import io.troupe.cluster.plot.CurvePlot;
import io.troupe.cluster.plot.RunHistory;
import io.troupe.cluster.plot.XAxis;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code troupe plot RUN_DIR... --out curves.png|svg}: learning curves of several runs on one figure. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Plot a metric of one or more runs (their metrics.jsonl) on one figure with a legend.")
final class PlotCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RUN_DIR", description = "run directories (runs/<run-id>)")
    List<Path> runs;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "curves.png or curves.svg")
    Path out;

    @Option(names = "--metric", defaultValue = "mean_return_100",
            description = "a metrics.jsonl field (default mean_return_100)")
    String metric;

    @Option(names = "--x", defaultValue = "env_steps", description = "env_steps (default) or wall_s")
    String x;

    @Override
    public Integer call() {
        System.setProperty("java.awt.headless", "true"); // drawing needs no display
        XAxis axis = XAxis.of(x);
        List<RunHistory> histories = runs.stream().map(RunHistory::read).toList();
        CurvePlot.write(CurvePlot.chart(histories, metric, axis), out);
        System.out.println("wrote " + out + " (" + metric + " vs " + axis.field() + ", " + histories.size()
                + " run" + (histories.size() == 1 ? "" : "s") + ")");
        return 0;
    }
}
