package io.cqrs.scaleout;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A run's charts (JFreeChart, PNG, in the style of cqrs-benchmarks' ratio charts): throughput and
 * latency over time, second by second from {@link Timeline}, with a red vertical line at each
 * fault, labelled with it. The table of the same timeline goes beside them as CSV, so that a reader
 * (or a test) can check the chart against the figures.
 */
final class TimelineCharts {
  static final int WIDTH = 900;
  static final int HEIGHT = 420;

  /** Series keys, also the legend's labels. */
  static final String COMPLETED = "commands completed";

  static final String P50 = "p50";
  static final String P99 = "p99";

  private static final Color SERIES = new Color(0x33, 0x66, 0x99);
  private static final Color SECOND_SERIES = new Color(0xCC, 0x66, 0x00);

  /** Marker labels stagger over this many heights, so that faults close in time stay legible. */
  private static final int LABEL_ROWS = 4;

  private TimelineCharts() {}

  /** The files of one run's charts and table, named after {@code name}. */
  record ChartFiles(String throughput, String latency, String table) {
    static ChartFiles of(String name) {
      return new ChartFiles(
          name + "-throughput.png", name + "-latency.png", name + "-timeline.csv");
    }
  }

  /** Commands completed per second, with the faults. */
  static JFreeChart throughput(Timeline timeline, String title) {
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(series(COMPLETED, timeline, s -> s.completed()));
    return chart(title + ": commands completed per second", "commands/s", data, timeline, false);
  }

  /** The median and 99th percentile latency per second, with the faults. */
  static JFreeChart latency(Timeline timeline, String title) {
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(series(P50, timeline, Timeline.Second::p50Millis));
    data.addSeries(series(P99, timeline, Timeline.Second::p99Millis));
    return chart(
        title + ": latency, sent to outcome recorded", "latency (ms)", data, timeline, true);
  }

  /**
   * One point per second of the timeline; a second without a value is a gap in the line (a point
   * with no y), so the series has exactly one item per row.
   */
  private static XYSeries series(
      String key, Timeline timeline, Function<Timeline.Second, Number> value) {
    XYSeries series = new XYSeries(key, false, true);
    for (Timeline.Second s : timeline.seconds()) {
      series.add(s.second(), value.apply(s));
    }
    return series;
  }

  private static JFreeChart chart(
      String title, String valueLabel, XYSeriesCollection data, Timeline timeline, boolean legend) {
    NumberAxis time =
        new NumberAxis(
            "seconds since the publishers were launched or told to go (the run's clock)");
    NumberAxis value = new NumberAxis(valueLabel);
    value.setAutoRangeIncludesZero(true);
    // From 0, and far enough to show a fault after the last outcome (a worker killed against the
    // backlog), which an axis fitted to the data would leave out.
    double end =
        Math.max(
            timeline.seconds().size(),
            timeline.faults().stream().mapToDouble(Timeline.Marker::atSeconds).max().orElse(0) + 1);
    if (end > 0) {
      time.setRange(0, end);
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    renderer.setSeriesPaint(0, SERIES);
    renderer.setSeriesPaint(1, SECOND_SERIES);
    renderer.setDefaultStroke(new BasicStroke(1.5f));
    renderer.setAutoPopulateSeriesStroke(false);
    XYPlot plot = new XYPlot(data, time, value, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    List<Timeline.Marker> faults = timeline.faults();
    for (int i = 0; i < faults.size(); i++) {
      plot.addDomainMarker(marker(faults.get(i), i, end), Layer.FOREGROUND);
    }
    return new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, legend);
  }

  /**
   * A red line at the fault, labelled to its right, or to its left in the last quarter of the axis
   * (which ends at {@code end}), so that no label runs off the chart.
   */
  private static ValueMarker marker(Timeline.Marker fault, int index, double end) {
    ValueMarker marker = new ValueMarker(fault.atSeconds(), Color.RED, new BasicStroke(1.5f));
    marker.setLabel(fault.label());
    marker.setLabelPaint(Color.RED);
    boolean late = fault.atSeconds() > 0.75 * end;
    marker.setLabelAnchor(late ? RectangleAnchor.TOP_LEFT : RectangleAnchor.TOP_RIGHT);
    marker.setLabelTextAnchor(late ? TextAnchor.TOP_RIGHT : TextAnchor.TOP_LEFT);
    int down = 4 + 13 * (index % LABEL_ROWS);
    marker.setLabelOffset(
        late ? new RectangleInsets(down, 0, 0, 3) : new RectangleInsets(down, 3, 0, 0));
    return marker;
  }

  /**
   * Writes the throughput and latency charts as PNG and the timeline as CSV into {@code directory}
   * (named as {@link ChartFiles#of} says) and returns the names.
   */
  static ChartFiles write(Timeline timeline, String title, Path directory, String name)
      throws IOException {
    // Charts are drawn into images only: no display is needed, whatever the machine has.
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(directory);
    ChartFiles files = ChartFiles.of(name);
    ChartUtils.saveChartAsPNG(
        directory.resolve(files.throughput()).toFile(), throughput(timeline, title), WIDTH, HEIGHT);
    ChartUtils.saveChartAsPNG(
        directory.resolve(files.latency()).toFile(), latency(timeline, title), WIDTH, HEIGHT);
    Files.writeString(directory.resolve(files.table()), timeline.csv());
    return files;
  }

  /** The Markdown showing a run's charts that lie in {@code directory}, relative to the page. */
  static String markdown(ChartFiles files, String directory, Timeline timeline) {
    return String.format(
        Locale.ROOT,
        "![throughput over time](%1$s/%2$s)%n%n![latency over time](%1$s/%3$s)%n%n"
            + "Per second: [table (CSV)](%1$s/%4$s), %5$d commands with an outcome; %6$d left"
            + " out (the openings, sent before the run's clock starts, and any lost command). Red lines"
            + " mark the faults.%n",
        directory,
        files.throughput(),
        files.latency(),
        files.table(),
        timeline.completed(),
        timeline.undated());
  }
}
