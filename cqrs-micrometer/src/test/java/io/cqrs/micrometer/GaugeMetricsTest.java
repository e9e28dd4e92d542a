package io.cqrs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.Command;
import io.cqrs.Cqrs;
import io.cqrs.EventRelay;
import io.cqrs.EventSourcingRepository;
import io.cqrs.Projection;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.VersionedEvent;
import io.cqrs.micrometer.Account.Deposit;
import io.cqrs.micrometer.Account.Open;
import io.cqrs.testing.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class GaugeMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Meters meters = new Meters(registry);

  /** A read model that only keeps the applied versions. */
  static final class Versions implements Projection {
    final Map<String, Long> applied = new ConcurrentHashMap<>();

    @Override
    public long appliedVersion(String streamId) {
      return applied.getOrDefault(streamId, 0L);
    }

    @Override
    public void apply(VersionedEvent event) {
      applied.put(event.sourceId(), event.version());
    }
  }

  @Test
  void processor_lag_reads_0_once_caught_up_and_the_events_appended_while_paused()
      throws Exception {
    CqrsMetrics metrics = CqrsMetrics.of(registry);
    try (Cqrs cqrs = Account.cqrs().interceptors(metrics).build()) {
      Account.handle(cqrs);
      cqrs.processor("balances", new Versions());
      metrics.bind(cqrs);
      cqrs.start();
      TrackingEventProcessor balances = (TrackingEventProcessor) cqrs.processors().get(0);

      dispatch(cqrs, new Open("a-1"));
      dispatch(cqrs, new Deposit("a-1", 5));
      Await.until(
          "the processor caught up", () -> lag() == 0 && balances.lag().headPosition() == 2);

      balances.pause();
      dispatch(cqrs, new Deposit("a-1", 6));
      dispatch(cqrs, new Deposit("a-1", 7));
      dispatch(cqrs, new Deposit("a-1", 8));
      assertThat(lag()).isEqualTo(3);

      balances.resume();
      Await.until("the processor caught up again", () -> lag() == 0);
      assertThat(balances.lag().headPosition()).isEqualTo(5);
    }
  }

  @Test
  void relay_lag_reads_the_log_positions_the_relay_has_still_to_walk() {
    CqrsMetrics metrics = CqrsMetrics.of(registry);
    try (Cqrs cqrs = Account.cqrs().relay(false).interceptors(metrics).build()) {
      EventRelay relay = EventRelay.builder(cqrs.store(), cqrs.eventBus()).name("outbox").build();
      metrics.bindRelay(relay);
      EventSourcingRepository accounts = cqrs.repository();
      for (int i = 1; i <= 3; i++) {
        Account account = new Account("a-" + i);
        account.deposit(i);
        accounts.save(account, "c-" + i);
      }
      assertThat(relayLag()).isEqualTo(3);

      // Published and marked by the repository, so the relay only walks past them.
      assertThat(relay.publishPending()).isZero();
      assertThat(relayLag()).isZero();
    }
  }

  @Test
  void bind_adds_the_lag_of_the_relay_a_cqrs_runs() throws Exception {
    CqrsMetrics metrics = CqrsMetrics.of(registry);
    try (Cqrs cqrs = Account.cqrs().service("bank").interceptors(metrics).build()) {
      Account.handle(cqrs);
      metrics.bind(cqrs);
      cqrs.start();
      dispatch(cqrs, new Open("a-1"));

      assertThat(cqrs.relay()).isPresent();
      Await.until(
          "the relay walked past the published event",
          () -> meters.gauge("cqrs.relay.lag", "relay", "bank-relay") == 0);
      // Bound with it, reading the relay's own count (none here; EventRelayTest makes some).
      assertThat(
              registry.find("cqrs.relay.dead.letters").tag("relay", "bank-relay").functionCounter())
          .isNotNull();
    }
  }

  private double lag() {
    return meters.gauge("cqrs.processor.lag", "processor", "balances");
  }

  private double relayLag() {
    return meters.gauge("cqrs.relay.lag", "relay", "outbox");
  }

  private static void dispatch(Cqrs cqrs, Object body) throws Exception {
    cqrs.commands().dispatch(Command.create(body));
  }
}
