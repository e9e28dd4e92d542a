package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cqrs.memory.InMemoryEventBus;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.testing.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The version gate that processors put in front of a {@link Projection}. */
class VersionGateTest {
  private final InMemoryEventStreamRepository store = new InMemoryEventStreamRepository();
  private final LedgerProjection ledger = new LedgerProjection();
  private final VersionGate gate = new VersionGate(ledger, store);

  @Test
  void every_event_delivered_twice_and_shuffled_ends_equal_to_a_fold_of_the_store()
      throws Exception {
    List<VersionedEvent> deliveries = new ArrayList<>();
    for (int s = 0; s < 20; s++) {
      List<VersionedEvent> events = Ledgers.append(store, "ledger-" + s, 30, Instant.now());
      deliveries.addAll(events);
      deliveries.addAll(events);
    }
    Collections.shuffle(deliveries, new Random(42));

    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      int quarter = deliveries.size() / 4;
      for (int t = 0; t < 4; t++) {
        List<VersionedEvent> part = deliveries.subList(t * quarter, (t + 1) * quarter);
        results.add(
            pool.submit(
                () -> {
                  int applied = 0;
                  for (VersionedEvent event : part) {
                    applied += gate.handle(event);
                  }
                  return applied;
                }));
      }
      int applied = 0;
      for (Future<Integer> result : results) {
        applied += result.get(30, TimeUnit.SECONDS);
      }
      assertThat(applied).isEqualTo(600);
    } finally {
      pool.shutdownNow();
    }
    assertThat(ledger.violations()).isEmpty();
    assertThat(ledger.applications()).isEqualTo(600);
    assertThat(ledger.entries()).isEqualTo(Ledgers.fold(store));
  }

  @Test
  void a_version_beyond_the_next_fills_the_hole_from_the_store_in_order() throws Exception {
    List<VersionedEvent> events = Ledgers.append(store, "ledger-1", 5, Instant.now());

    assertThat(gate.handle(events.get(0))).isEqualTo(1);
    assertThat(gate.handle(events.get(4))).isEqualTo(4);
    assertThat(gate.handle(events.get(2))).isZero();

    assertThat(ledger.violations()).isEmpty();
    assertThat(ledger.entries()).isEqualTo(Ledgers.fold(store));
  }

  @Test
  void events_outside_any_stream_are_not_projected() throws Exception {
    VersionedEvent failure = Ledgers.deposit("cmd-1", 0, 5, Instant.now());

    assertThat(gate.handle(failure)).isZero();
    assertThat(ledger.applications()).isZero();
  }

  @Test
  void events_of_streams_the_projection_does_not_follow_are_neither_asked_for_nor_applied()
      throws Exception {
    List<VersionedEvent> events = Ledgers.append(store, "other-1", 3, Instant.now());
    List<String> asked = new ArrayList<>();
    Projection onlyLedgers =
        new Projection() {
          @Override
          public boolean follows(VersionedEvent event) {
            return event.sourceId().startsWith("ledger-");
          }

          @Override
          public long appliedVersion(String streamId) {
            asked.add(streamId);
            return ledger.appliedVersion(streamId);
          }

          @Override
          public void apply(VersionedEvent event) {
            ledger.apply(event);
          }
        };
    VersionGate filtered = new VersionGate(onlyLedgers, store);

    for (VersionedEvent event : events) {
      assertThat(filtered.handle(event)).isZero();
    }

    assertThat(asked).isEmpty();
    assertThat(ledger.applications()).isZero();
  }

  @Test
  void a_tracking_rebuild_while_events_keep_arriving_ends_equal_to_the_live_read_model()
      throws Exception {
    try (InMemoryEventBus bus = new InMemoryEventBus()) {
      LedgerProjection live = new LedgerProjection();
      SubscribingEventProcessor liveProcessor =
          EventProcessor.subscribing("live", bus, store).projection(live).listeners(2).build();
      liveProcessor.start();
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer =
          new Thread(
              () -> {
                int i = 0;
                while (writing.get() || i < 200) {
                  String stream = "ledger-" + (i++ % 7);
                  VersionedEvent event =
                      Ledgers.deposit(stream, store.version(stream) + 1, i, Instant.now());
                  store.save(stream, event.version() - 1, List.of(event));
                  bus.publish(List.of(event));
                }
              });
      writer.start();
      Await.until(
          Duration.ofSeconds(10),
          () -> "100 events written",
          () -> store.readLog(100, 1).size() == 1);

      LedgerProjection rebuilt = new LedgerProjection();
      TrackingEventProcessor rebuiltProcessor =
          EventProcessor.tracking("rebuilt", store).projection(rebuilt).segments(2).build();
      rebuiltProcessor.start();
      writing.set(false);
      writer.join(30_000);
      Await.until(Duration.ofSeconds(10), () -> "the bus to drain", bus::isIdle);
      Await.until(
          Duration.ofSeconds(10),
          () -> "the rebuild to catch up: " + rebuiltProcessor.lag(),
          () -> rebuiltProcessor.lag().caughtUp());

      Map<String, LedgerProjection.Entry> expected = Ledgers.fold(store);
      assertThat(live.entries()).isEqualTo(expected);
      assertThat(rebuilt.entries()).isEqualTo(expected);
      assertThat(live.violations()).isEmpty();
      assertThat(rebuilt.violations()).isEmpty();
      liveProcessor.close();
      rebuiltProcessor.close();
    }
  }
}
