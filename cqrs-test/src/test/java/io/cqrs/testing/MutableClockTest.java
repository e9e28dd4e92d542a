package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class MutableClockTest {

  @Test
  void it_stands_still_until_moved_and_moves_by_exactly_what_it_is_told() {
    MutableClock clock = new MutableClock();

    assertThat(clock.instant()).isEqualTo(MutableClock.DEFAULT_START);
    assertThat(clock.instant()).isEqualTo(MutableClock.DEFAULT_START);
    clock.advance(Duration.ofSeconds(31));
    assertThat(clock.instant()).isEqualTo(MutableClock.DEFAULT_START.plusSeconds(31));
    assertThat(clock.millis()).isEqualTo(MutableClock.DEFAULT_START.plusSeconds(31).toEpochMilli());
    clock.advance(Duration.ofMillis(-1_000));
    assertThat(clock.instant()).isEqualTo(MutableClock.DEFAULT_START.plusSeconds(30));
    clock.set(Instant.parse("2030-05-06T07:08:09.123Z"));
    assertThat(clock.instant()).isEqualTo(Instant.parse("2030-05-06T07:08:09.123Z"));
    assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
  }

  @Test
  void a_view_in_another_zone_shares_the_time() {
    MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));

    clock.advance(Duration.ofHours(1));

    assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    assertThat(paris.instant()).isEqualTo(Instant.parse("2026-03-01T13:00:00Z"));
    assertThat(clock.withZone(ZoneOffset.UTC)).isSameAs(clock);
  }

  @Test
  void a_subclass_overriding_millis_moves_instant_too() {
    MutableClock late =
        new MutableClock() {
          @Override
          public long millis() {
            return super.millis() + 5_000;
          }
        };

    assertThat(late.instant()).isEqualTo(MutableClock.DEFAULT_START.plusSeconds(5));
  }

  @Test
  void nulls_are_refused() {
    MutableClock clock = new MutableClock();

    assertThatThrownBy(() -> new MutableClock(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> clock.advance(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> clock.set(null)).isInstanceOf(NullPointerException.class);
  }
}
