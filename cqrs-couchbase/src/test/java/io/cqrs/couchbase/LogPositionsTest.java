package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A lag on Couchbase counts commits: positions are {@code (seq - 1) * 2^20 + index + 1}, so their
 * difference (what {@code cqrs.processor.lag} showed before) is about a million per commit.
 */
class LogPositionsTest {
  private static long position(long seq, int index) {
    return LogReader.position(seq, index);
  }

  @Test
  void the_distance_between_positions_counts_the_commits_after_the_checkpoints_own() {
    assertThat(LogReader.commitsBetween(0, 0)).isZero(); // an empty log
    assertThat(LogReader.commitsBetween(0, position(1, 0))).isEqualTo(1);
    assertThat(LogReader.commitsBetween(0, position(100, 3))).isEqualTo(100);
    assertThat(LogReader.commitsBetween(position(1, 4), position(1, 4))).isZero(); // caught up
    assertThat(LogReader.commitsBetween(position(7, 2), position(107, 0))).isEqualTo(100);
    assertThat(LogReader.commitsBetween(position(107, 0), position(7, 2))).isZero(); // never < 0
  }

  @Test
  void a_checkpoint_inside_the_heads_commit_is_one_behind_not_caught_up() {
    assertThat(LogReader.commitsBetween(position(9, 0), position(9, 5))).isEqualTo(1);
  }
}
