package io.cqrs.example.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Waiting for a condition: returns when it holds, gives up at the deadline, polls gently. */
class AwaitTest {
  @Test
  void returns_once_the_condition_holds() throws Exception {
    AtomicInteger checks = new AtomicInteger();

    Await.until("the third check", Duration.ofSeconds(30), () -> checks.incrementAndGet() == 3);

    assertThat(checks).hasValue(3);
  }

  @Test
  void a_condition_that_holds_already_is_checked_once_without_a_pause() {
    AtomicInteger checks = new AtomicInteger();
    long start = System.nanoTime();

    Await.await("a true condition")
        .atMost(Duration.ofSeconds(30))
        .until(() -> checks.incrementAndGet() > 0);

    assertThat(checks).hasValue(1);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void gives_up_at_the_deadline_naming_what_it_waited_for() {
    assertThatThrownBy(() -> Await.until("Godot", Duration.ofMillis(20), () -> false))
        .isInstanceOf(TimeoutException.class)
        .hasMessageContaining("Godot");
  }

  @Test
  void a_long_wait_checks_the_condition_a_few_times_a_second_not_every_millisecond() {
    // Polling every millisecond would check some 500 times in half a second. Backing off to 50 ms
    // checks fewer than 20 times; a slow machine checks fewer still, so the bound cannot flake.
    AtomicInteger checks = new AtomicInteger();

    assertThatThrownBy(
            () ->
                Await.until(
                    "nothing",
                    Duration.ofMillis(500),
                    () -> {
                      checks.incrementAndGet();
                      return false;
                    }))
        .isInstanceOf(TimeoutException.class);

    assertThat(checks.get()).isBetween(1, 50);
  }

  @Test
  void an_interrupted_wait_gives_up_and_keeps_the_interrupt() {
    Thread.currentThread().interrupt();
    long start = System.nanoTime();
    try {
      assertThatThrownBy(() -> Await.until("nothing", Duration.ofSeconds(30), () -> false))
          .isInstanceOf(TimeoutException.class)
          .hasMessageContaining("Interrupted");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("gave up at once, not at the deadline")
          .isLessThan(Duration.ofSeconds(10));
    } finally {
      Thread.interrupted();
    }
  }
}
