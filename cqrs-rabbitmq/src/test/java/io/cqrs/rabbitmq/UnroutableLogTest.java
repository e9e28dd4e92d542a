package io.cqrs.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Events that reach no subscription queue are reported per event type: when a type first does, then
 * at most once per interval with the count since, however many are published in between.
 */
class UnroutableLogTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final List<String> lines = new ArrayList<>();
  private final UnroutableLog log = new UnroutableLog(now::get, lines::add);

  private static Returned returned(String type) {
    return new Returned(
        new OutboundMessage(
            "app.events", type, type, new AMQP.BasicProperties(), Map.of(), new byte[0]),
        312,
        "NO_ROUTE");
  }

  private void advanceSeconds(long seconds) {
    now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
  }

  @Test
  void each_type_is_reported_when_it_first_reaches_no_queue_then_once_an_interval_with_a_count() {
    log.record(List.of(returned("Deposited"), returned("Deposited"), returned("Withdrawn")));

    assertThat(lines).hasSize(2);
    assertThat(lines.get(0))
        .startsWith("2 event(s) of type 'Deposited' reached no subscription queue: NO_ROUTE")
        .contains("exchange 'app.events', routing key 'Deposited'")
        .contains("failOnUnroutable(true)");
    assertThat(lines.get(1)).startsWith("1 event(s) of type 'Withdrawn'");

    for (int i = 0; i < 1_000; i++) {
      advanceSeconds(0);
      log.record(List.of(returned("Deposited")));
    }
    advanceSeconds(59);
    log.record(List.of(returned("Deposited")));
    assertThat(lines).as("nothing within the interval").hasSize(2);

    advanceSeconds(1);
    log.record(List.of(returned("Deposited")));
    assertThat(lines).hasSize(3);
    assertThat(lines.get(2))
        .startsWith(
            "1002 more event(s) of type 'Deposited' reached no subscription queue in the last 60 s");

    advanceSeconds(60);
    log.record(List.of(returned("Withdrawn")));
    assertThat(lines.get(3)).startsWith("1 more event(s) of type 'Withdrawn'");
  }

  @Test
  void a_type_first_seen_after_others_is_reported_at_once() {
    log.record(List.of(returned("Deposited")));
    log.record(List.of(returned("Deposited")));
    log.record(List.of(returned("Closed")));

    assertThat(lines)
        .hasSize(2)
        .satisfiesExactly(
            first -> assertThat(first).startsWith("1 event(s) of type 'Deposited'"),
            second -> assertThat(second).startsWith("1 event(s) of type 'Closed'"));
  }
}
