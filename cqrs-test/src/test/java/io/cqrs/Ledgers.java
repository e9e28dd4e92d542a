package io.cqrs;

import io.cqrs.internal.Ids;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Writes ledger streams straight to a store and folds them back, for the publication tests. */
final class Ledgers {
  private Ledgers() {}

  static VersionedEvent deposit(String stream, long version, long amount, Instant created) {
    return new VersionedEvent(
        Ids.newId(),
        "corr-" + stream,
        null,
        stream,
        null,
        null,
        version,
        "Deposited",
        created,
        new LedgerProjection.Deposited(amount),
        Map.of());
  }

  /** Appends {@code count} deposits to a stream, one commit each, and returns them. */
  static List<VersionedEvent> append(
      EventStreamRepository store, String stream, int count, Instant created) {
    List<VersionedEvent> events = new ArrayList<>();
    long version = store.version(stream);
    for (int i = 0; i < count; i++) {
      VersionedEvent event = deposit(stream, ++version, version * 10 + i, created);
      store.save(stream, version - 1, List.of(event));
      events.add(event);
    }
    return events;
  }

  /** The read model a correct projection must end with: a fold of the whole log. */
  static Map<String, LedgerProjection.Entry> fold(EventStreamRepository store) {
    Map<String, LedgerProjection.Entry> expected = new HashMap<>();
    for (LoggedEvent entry : store.readLog(1, Integer.MAX_VALUE)) {
      VersionedEvent event = entry.event();
      if (event.version() == 0) {
        continue;
      }
      expected.merge(
          event.sourceId(),
          new LedgerProjection.Entry(
              event.version(), event.eventAs(LedgerProjection.Deposited.class).amount()),
          (a, b) ->
              new LedgerProjection.Entry(
                  Math.max(a.version(), b.version()), a.total() + b.total()));
    }
    return expected;
  }
}
