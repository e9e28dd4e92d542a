package io.cqrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.StreamAppend;
import io.cqrs.testing.SplitEventsContract;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The split-events contract in memory, where the earlier version's events are held as today's
 * serializer reads them; and what only this package or this store can show: the version gate
 * (package-private) on split and dropped events, and the in-memory log's dense positions.
 */
class SplitEventsTest extends SplitEventsContract {
  @Override
  protected EventStreamRepository newStore() {
    return new InMemoryEventStreamRepository();
  }

  @Override
  protected void saveAsEarlierVersion(StreamAppend append) {
    store.save(asReadToday(append));
  }

  @Test
  void the_in_memory_log_gives_each_stored_event_the_next_position() {
    mixedStream("acc-1");

    assertThat(store.readLog(1, 10))
        .extracting(LoggedEvent::position)
        .containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void a_projection_that_cannot_apply_a_group_atomically_refuses_it_with_the_reason() {
    mixedStream("acc-1");
    Projection oneByOne =
        new Projection() {
          @Override
          public long appliedVersion(String streamId) {
            return 0;
          }

          @Override
          public void apply(VersionedEvent event) {
            throw new AssertionError("a part applied alone: " + event);
          }
        };
    VersionGate gate = new VersionGate(oneByOne, store);

    assertThatThrownBy(() -> gate.handle(store.load("acc-1").get(0)))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("cannot apply version 1 of stream 'acc-1', which upcasters split")
        .hasMessageContaining("override Projection.applyAll");
  }

  @Test
  void the_gate_compares_stored_versions_so_a_redelivered_split_is_skipped_and_a_hole_filled()
      throws Exception {
    mixedStream("acc-1");
    Balances balances = new Balances();
    VersionGate gate = new VersionGate(balances, store);
    List<VersionedEvent> stream = store.load("acc-1");

    assertThat(gate.handle(stream.get(0))).isEqualTo(1);
    assertThat(gate.handle(stream.get(0))).isZero();
    assertThat(gate.handle(stream.get(3))).isEqualTo(3); // the dropped 2, 3 and 4 from the store

    assertThat(balances.entry("acc-1")).isEqualTo(new Balances.Entry(4, MIXED_STREAM_EVENTS));
  }
}
