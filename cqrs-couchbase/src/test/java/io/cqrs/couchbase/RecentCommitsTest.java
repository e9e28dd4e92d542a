package io.cqrs.couchbase;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecentCommitsTest {
  private final RecentCommits recent = new RecentCommits();

  @Test
  void looking_up_a_commit_keeps_it_and_taking_it_forgets_it() {
    recent.claimed("app::c::acc-1::1", 3, 42);

    assertThat(recent.last("app::c::acc-1::1")).isEqualTo(3);
    assertThat(recent.last("app::c::acc-1::1")).isEqualTo(3);
    assertThat(recent.take("app::c::acc-1::1")).isEqualTo(new RecentCommits.Claimed(3, 42));
    assertThat(recent.last("app::c::acc-1::1")).isZero();
    assertThat(recent.take("app::c::acc-1::1")).isNull();
  }

  @Test
  void an_unknown_commit_is_zero() {
    assertThat(recent.last("app::c::acc-2::1")).isZero();
  }
}
