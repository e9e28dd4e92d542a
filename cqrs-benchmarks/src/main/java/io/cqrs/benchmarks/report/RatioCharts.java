package io.cqrs.benchmarks.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;

/**
 * The report's charts (JFreeChart, PNG): per benchmark with a baseline, each variant's ratio to its
 * baseline from the same run, as a bar with an error bar, and a line at 1 for the baseline. The
 * error bar spans the wider side of the interval the two 99.9% confidence intervals give the ratio
 * (the variant's low end over the baseline's high end, up to its high end over the baseline's low
 * end), so a bar whose error bar stays clear of a target is clear of it beyond doubt.
 */
final class RatioCharts {
  static final int WIDTH = 900;
  private static final int ROW_HEIGHT = 26;
  private static final int MARGIN = 140;

  private RatioCharts() {}

  /** One variant's ratio to its baseline, and the half-width of its error bar. */
  record Bar(String label, double ratio, double error) {}

  /** The bars of every benchmark with a baseline, in the order of the results file. */
  static Map<String, List<Bar>> bars(JmhResults results) {
    Map<String, List<Bar>> bars = new LinkedHashMap<>();
    for (Result result : results.results()) {
      String baseline = Targets.BASELINES.get(result.benchmark());
      if (baseline == null || baseline.equals(result.variant())) {
        continue;
      }
      Optional<Result> base = results.find(result.benchmark(), baseline, result.params());
      if (base.isEmpty() || base.get().score() <= 0) {
        continue;
      }
      double ratio = result.score() / base.get().score();
      double low = base.get().high() > 0 ? result.low() / base.get().high() : ratio;
      double high = base.get().low() > 0 ? result.high() / base.get().low() : ratio;
      double error = Math.max(ratio - low, high - ratio);
      bars.computeIfAbsent(result.benchmark(), b -> new ArrayList<>())
          .add(new Bar(label(result), ratio, Double.isFinite(error) ? error : 0));
    }
    return bars;
  }

  private static String label(Result result) {
    return result.params().isEmpty()
        ? result.variant()
        : result.variant()
            + " "
            + result.params().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
  }

  /**
   * Writes one PNG per benchmark with a baseline into {@code directory}, named {@code
   * <Benchmark>.png}, and returns the benchmarks charted, in order.
   */
  static List<String> write(JmhResults results, Path directory) throws IOException {
    // Charts are drawn into images only: no display is needed, whatever the machine has.
    System.setProperty("java.awt.headless", "true");
    Files.createDirectories(directory);
    Map<String, List<Bar>> all = bars(results);
    for (Map.Entry<String, List<Bar>> benchmark : all.entrySet()) {
      JFreeChart chart = chart(benchmark.getKey(), benchmark.getValue(), results);
      ChartUtils.saveChartAsPNG(
          directory.resolve(benchmark.getKey() + ".png").toFile(),
          chart,
          WIDTH,
          MARGIN + ROW_HEIGHT * benchmark.getValue().size());
    }
    return List.copyOf(all.keySet());
  }

  private static JFreeChart chart(String benchmark, List<Bar> bars, JmhResults results) {
    DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
    for (Bar bar : bars) {
      data.add(bar.ratio(), bar.error(), "ratio", bar.label());
    }
    NumberAxis ratio =
        new NumberAxis("ops/s ÷ " + Targets.BASELINES.get(benchmark) + "'s ops/s (same run)");
    ratio.setAutoRangeIncludesZero(true);
    StatisticalBarRenderer renderer = new StatisticalBarRenderer();
    renderer.setSeriesPaint(0, new Color(0x33, 0x66, 0x99));
    renderer.setErrorIndicatorPaint(Color.BLACK);
    renderer.setDrawBarOutline(false);
    CategoryPlot plot = new CategoryPlot(data, new CategoryAxis(null), ratio, renderer);
    plot.setOrientation(PlotOrientation.HORIZONTAL);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    ValueMarker baseline = new ValueMarker(1.0, Color.RED, new BasicStroke(1.5f));
    baseline.setLabel("baseline");
    plot.addRangeMarker(baseline);
    return new JFreeChart(
        benchmark + " (" + results.jvm() + ")", JFreeChart.DEFAULT_TITLE_FONT, plot, false);
  }

  /** The Markdown that shows the charts, from a page whose charts lie in {@code directory}. */
  static String markdown(List<String> benchmarks, String directory) {
    if (benchmarks.isEmpty()) {
      return "No benchmark with a baseline was run.";
    }
    return benchmarks.stream()
        .map(
            b ->
                String.format(
                    Locale.ROOT, "![%s: ratios to its baseline](%s/%s.png)", b, directory, b))
        .collect(Collectors.joining("\n\n"));
  }
}
