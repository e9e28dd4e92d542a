package io.cqrs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The test kit's wait: a message computed only when the wait fails, with or without a timeout. */
class AwaitTest {
  @Test
  void a_message_supplier_is_asked_only_when_the_wait_fails() {
    AtomicInteger asked = new AtomicInteger();
    AtomicInteger polls = new AtomicInteger();

    Await.until(() -> "never asked " + asked.incrementAndGet(), () -> polls.incrementAndGet() >= 3);
    assertThat(asked).hasValue(0);

    assertThatThrownBy(
            () ->
                Await.until(
                    Duration.ofMillis(20),
                    () -> "the state at the deadline: " + polls.get(),
                    () -> false))
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith("Timed out after PT0.02S waiting for the state at the deadline: ");
  }
}
