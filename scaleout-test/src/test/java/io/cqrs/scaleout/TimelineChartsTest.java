package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.scaleout.Timeline.Marker;
import io.cqrs.scaleout.Timeline.Second;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelineChartsTest {
  private static final long START = 1_800_000_000_000L;

  /** Three commands over three seconds, the middle one empty, and two faults. */
  private static final Timeline TIMELINE =
      Timeline.of(
          new long[] {START, START + 50, START + 200, START + 300},
          new long[] {START + 100, START + 950, START + 2_500, START + 2_900},
          START,
          List.of(new Marker(0.8, "SIGKILL worker-1"), new Marker(1.9, "connections closed")));

  @Test
  void the_throughput_chart_plots_the_table_s_commands_per_second() {
    XYPlot plot = TimelineCharts.throughput(TIMELINE, "run").getXYPlot();

    assertThat(points(plot.getDataset(), TimelineCharts.COMPLETED))
        .containsExactlyElementsOf(rows(s -> s.completed()));
  }

  @Test
  void the_latency_chart_plots_the_table_s_percentiles_with_a_gap_for_an_empty_second() {
    XYPlot plot = TimelineCharts.latency(TIMELINE, "run").getXYPlot();

    assertThat(points(plot.getDataset(), TimelineCharts.P50))
        .containsExactlyElementsOf(rows(Second::p50Millis))
        .contains(List.of(1.0, "none"));
    assertThat(points(plot.getDataset(), TimelineCharts.P99))
        .containsExactlyElementsOf(rows(Second::p99Millis));
  }

  @Test
  void both_charts_mark_every_fault_at_its_time_with_its_label() {
    for (JFreeChart chart :
        List.of(
            TimelineCharts.throughput(TIMELINE, "run"), TimelineCharts.latency(TIMELINE, "run"))) {
      Collection<?> markers = chart.getXYPlot().getDomainMarkers(Layer.FOREGROUND);
      assertThat(markers)
          .map(m -> List.of(((ValueMarker) m).getValue(), ((ValueMarker) m).getLabel()))
          .containsExactly(List.of(0.8, "SIGKILL worker-1"), List.of(1.9, "connections closed"));
    }
  }

  @Test
  void a_fault_after_the_last_outcome_is_still_on_the_chart() {
    Timeline late = new Timeline(TIMELINE.seconds(), List.of(new Marker(10.5, "stop_app")), 0);

    for (JFreeChart chart :
        List.of(TimelineCharts.throughput(late, "run"), TimelineCharts.latency(late, "run"))) {
      assertThat(chart.getXYPlot().getDomainAxis().getUpperBound()).isGreaterThan(10.5);
      assertThat(chart.getXYPlot().getDomainAxis().getLowerBound()).isZero();
      // Near the right edge, the label goes to the left of its line, not off the chart.
      ValueMarker marker =
          (ValueMarker) chart.getXYPlot().getDomainMarkers(Layer.FOREGROUND).iterator().next();
      assertThat(marker.getLabelTextAnchor()).isEqualTo(TextAnchor.TOP_RIGHT);
    }
  }

  @Test
  void written_charts_decode_as_images_of_their_size_beside_the_table_they_were_drawn_from(
      @TempDir Path dir) throws Exception {
    TimelineCharts.ChartFiles files = TimelineCharts.write(TIMELINE, "fault run", dir, "fault-run");

    assertThat(System.getProperty("java.awt.headless")).isEqualTo("true");
    for (String png : List.of(files.throughput(), files.latency())) {
      BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
      assertThat(image).as(png).isNotNull();
      assertThat(image.getWidth()).isEqualTo(TimelineCharts.WIDTH);
      assertThat(image.getHeight()).isEqualTo(TimelineCharts.HEIGHT);
    }
    List<Second> table = Timeline.parseCsv(Files.readString(dir.resolve(files.table())));
    assertThat(table).isEqualTo(TIMELINE.seconds());
    assertThat(points(TimelineCharts.throughput(TIMELINE, "x").getXYPlot().getDataset(), 0))
        .containsExactlyElementsOf(
            table.stream()
                .map(s -> List.<Object>of((double) s.second(), (double) s.completed()))
                .toList());
    assertThat(TimelineCharts.markdown(files, "charts", TIMELINE))
        .contains("(charts/fault-run-throughput.png)")
        .contains("(charts/fault-run-latency.png)")
        .contains("(charts/fault-run-timeline.csv)");
  }

  /** The table's rows as (second, value) points; "none" where a second has no value. */
  private static List<List<Object>> rows(Function<Second, Number> value) {
    List<List<Object>> rows = new ArrayList<>();
    for (Second s : TIMELINE.seconds()) {
      Number v = value.apply(s);
      rows.add(List.of((double) s.second(), v == null ? "none" : v.doubleValue()));
    }
    return rows;
  }

  private static List<List<Object>> points(XYDataset data, String key) {
    for (int series = 0; series < data.getSeriesCount(); series++) {
      if (data.getSeriesKey(series).equals(key)) {
        return points(data, series);
      }
    }
    throw new AssertionError("no series " + key);
  }

  private static List<List<Object>> points(XYDataset data, int series) {
    List<List<Object>> points = new ArrayList<>();
    for (int i = 0; i < data.getItemCount(series); i++) {
      Number y = data.getY(series, i);
      points.add(List.of(data.getXValue(series, i), y == null ? "none" : y.doubleValue()));
    }
    return points;
  }
}
