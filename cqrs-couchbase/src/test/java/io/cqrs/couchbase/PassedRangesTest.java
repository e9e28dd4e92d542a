package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.SerializationException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PassedRangesTest {
  private final DocumentCodec codec = new DocumentCodec(TestEvents.serializer());

  @Test
  void a_range_covers_its_end_and_not_its_start() {
    PassedRanges ranges = PassedRanges.NONE.with(10, 20);

    assertThat(ranges.covers(10)).isFalse();
    assertThat(ranges.covers(11)).isTrue();
    assertThat(ranges.covers(20)).isTrue();
    assertThat(ranges.covers(21)).isFalse();
  }

  @Test
  void ranges_that_touch_or_overlap_merge_and_a_gap_stays_uncovered() {
    PassedRanges ranges = PassedRanges.NONE.with(10, 20).with(20, 30).with(40, 50).with(25, 35);

    assertThat(ranges.toString()).isEqualTo("(10, 35] (40, 50]");
    assertThat(ranges.covers(38)).isFalse(); // what a reset skipped
    assertThat(ranges.holds(12, 33)).isTrue();
    assertThat(ranges.holds(30, 45)).isFalse();
    assertThat(ranges.with(12, 33)).isEqualTo(ranges);
  }

  @Test
  void beyond_the_most_ranges_the_oldest_are_forgotten() {
    PassedRanges ranges = PassedRanges.NONE;
    for (int i = 0; i <= PassedRanges.MOST; i++) {
      ranges = ranges.with(i * 10L, i * 10L + 5);
    }

    assertThat(ranges.ranges()).hasSize(PassedRanges.MOST);
    assertThat(ranges.covers(3)).isFalse();
    assertThat(ranges.covers(PassedRanges.MOST * 10L + 5)).isTrue();
  }

  /**
   * A relay reset back below every range records a run lower in the log than all of them: with the
   * ranges full, the lowest went, which was that run, so the record never held it (and each attempt
   * wrote the same document again). The one recorded longest ago goes instead; no gap is merged
   * over to make room, since a gap may be what a reset skipped, unpublished.
   */
  @Test
  void beyond_the_most_ranges_a_run_below_them_all_is_kept_and_the_one_recorded_longest_ago_goes() {
    PassedRanges full = PassedRanges.NONE;
    for (int i = 0; i < PassedRanges.MOST; i++) {
      full = full.with(1000 + i * 10L, 1000 + i * 10L + 5);
    }

    PassedRanges after = full.with(0, 500);

    assertThat(after.ranges()).hasSize(PassedRanges.MOST);
    assertThat(after.holds(0, 500)).isTrue();
    assertThat(after.covers(1003)).isFalse(); // recorded first
    assertThat(after.covers(1013)).isTrue();
    assertThat(after.covers(1017)).isFalse(); // a gap stays a gap
    assertThat(after.with(0, 500)).isSameAs(after); // held: nothing to write again
    assertThat(codec.relayed("p::relayed", codec.relayed(after))).isEqualTo(after);
  }

  @Test
  void the_document_reads_back_what_was_written() {
    PassedRanges ranges = PassedRanges.NONE.with(0, 7).with(9, 12);

    assertThat(codec.relayed("p::relayed", codec.relayed(ranges))).isEqualTo(ranges);
  }

  @Test
  void a_malformed_document_fails_naming_its_key() {
    for (String bad :
        List.of(
            "{\"f\":1}",
            "{\"f\":1,\"r\":[[5,5]]}",
            "{\"f\":1,\"r\":[[-1,3]]}",
            "{\"f\":1,\"r\":[[1]]}",
            "{\"f\":1,\"r\":[[\"a\",2]]}")) {
      assertThatThrownBy(
              () -> codec.relayed("p::relayed", bad.getBytes(StandardCharsets.UTF_8)), bad)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("p::relayed");
    }
  }
}
