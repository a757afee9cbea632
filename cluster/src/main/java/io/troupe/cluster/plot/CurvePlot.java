package io.troupe.cluster.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Rectangle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYItemRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * Learning curves of several runs on one figure with a legend (one line per run), written as PNG (JFreeChart) or SVG
 * (the same chart drawn by JFreeSVG), chosen by the output file's extension.
 */
public final class CurvePlot {
    public static final int WIDTH = 900;
    public static final int HEIGHT = 540;
    /** Line colours in series order (Tableau's palette: tells ten runs apart, also in grey print). */
    public static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private CurvePlot() {
    }

    /**
     * The chart of {@code metric} against {@code x} for every run. A metric no run reports is an
     * IllegalArgumentException listing the metrics the runs do report.
     */
    public static JFreeChart chart(List<RunHistory> runs, String metric, XAxis x) {
        Set<String> known = new TreeSet<>();
        runs.forEach(r -> known.addAll(r.metrics()));
        known.remove(x.field());
        if (!known.contains(metric)) {
            throw new IllegalArgumentException("no run reports the metric '" + metric + "'; known metrics: "
                    + String.join(", ", known));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        for (RunHistory run : runs) {
            String key = run.label();
            for (int n = 2; data.getSeriesIndex(key) >= 0; n++) {
                key = run.label() + " (" + n + ")";
            }
            XYSeries series = new XYSeries(key, false, true);
            double[][] points = run.series(x.field(), metric);
            for (int i = 0; i < points[0].length; i++) {
                series.add(points[0][i], points[1][i]);
            }
            data.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(metric + " vs " + x.title(), x.title(), metric, data,
                PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYItemRenderer renderer = plot.getRenderer();
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        return chart;
    }

    /** Writes the chart to {@code out}: {@code .png} or {@code .svg}, anything else an IllegalArgumentException. */
    public static void write(JFreeChart chart, Path out) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (name.endsWith(".png")) {
                ChartUtils.saveChartAsPNG(out.toFile(), chart, WIDTH, HEIGHT);
            } else if (name.endsWith(".svg")) {
                SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
                chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
                Files.writeString(out, g.getSVGDocument(), StandardCharsets.UTF_8);
            } else {
                throw new IllegalArgumentException("--out must end in .png or .svg, got " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }
}
