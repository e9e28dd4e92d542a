package io.cqrs.scaleout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.scaleout.Timeline.Marker;
import io.cqrs.scaleout.Timeline.Second;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class TimelineTest {
  private static final long START = 1_800_000_000_000L;

  @Test
  void each_command_counts_in_the_second_its_outcome_was_recorded_with_its_latency_from_sending() {
    long[] sent = {START, START + 50, START + 200, 0, START + 10, START - 10};
    long[] decided = {START + 100, START + 950, START + 2_500, START + 300, 0, START + 400};
    List<Marker> faults = List.of(new Marker(1.5, "SIGKILL worker-1"));

    Timeline timeline = Timeline.of(sent, decided, START, faults);

    assertThat(timeline.seconds())
        .containsExactly(
            new Second(0, 2, 100L, 900L),
            new Second(1, 0, null, null),
            new Second(2, 1, 2_300L, 2_300L));
    // Not sent by a publisher, without an outcome, sent before the start.
    assertThat(timeline.undated()).isEqualTo(3);
    assertThat(timeline.completed()).isEqualTo(3);
    assertThat(timeline.faults()).isEqualTo(faults);
  }

  @Test
  void percentiles_are_nearest_rank_over_the_commands_of_their_second() {
    // 100 commands decided in second 3, latencies 1..100 ms, given in reverse order.
    long[] decided = LongStream.range(0, 100).map(i -> START + 3_000 + i).toArray();
    long[] sent = LongStream.range(0, 100).map(i -> decided[(int) i] - (100 - i)).toArray();

    Timeline timeline = Timeline.of(sent, decided, START, List.of());

    assertThat(timeline.seconds()).hasSize(4);
    assertThat(timeline.seconds().get(3)).isEqualTo(new Second(3, 100, 50L, 99L));
    assertThat(timeline.seconds().subList(0, 3)).allMatch(s -> s.completed() == 0);
  }

  @Test
  void nothing_dated_is_an_empty_timeline() {
    Timeline timeline = Timeline.of(new long[] {0}, new long[] {0}, START, List.of());

    assertThat(timeline.seconds()).isEmpty();
    assertThat(timeline.undated()).isEqualTo(1);
    assertThat(timeline.csv()).isEqualTo(Timeline.CSV_HEADER + "\n");
  }

  @Test
  void times_for_different_numbers_of_commands_are_refused() {
    assertThatThrownBy(() -> Timeline.of(new long[2], new long[1], START, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 and 1");
  }

  @Test
  void the_table_reads_back_as_the_rows_it_was_written_from() {
    long[] sent = {START, START + 50, START + 200};
    long[] decided = {START + 100, START + 950, START + 2_500};
    Timeline timeline = Timeline.of(sent, decided, START, List.of());

    assertThat(timeline.csv())
        .isEqualTo("second,completed,p50_ms,p99_ms\n0,2,100,900\n1,0,,\n2,1,2300,2300\n");
    assertThat(Timeline.parseCsv(timeline.csv())).isEqualTo(timeline.seconds());
  }

  @Test
  void a_table_of_something_else_is_refused_by_name() {
    assertThatThrownBy(() -> Timeline.parseCsv("a,b\n1,2\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Timeline.CSV_HEADER);
    assertThatThrownBy(() -> Timeline.parseCsv(Timeline.CSV_HEADER + "\n1,2\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1,2");
  }
}
