package io.cqrs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A read model for the publication tests: per stream, the applied version and the sum of the {@link
 * Deposited} amounts, updated together in one step as {@link Projection} requires. It records any
 * application out of order, which the tests assert never happens.
 */
final class LedgerProjection implements Projection {
  record Deposited(long amount) {}

  record Entry(long version, long total) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final List<String> violations = new ArrayList<>();
  private final AtomicInteger applications = new AtomicInteger();

  @Override
  public long appliedVersion(String streamId) {
    Entry entry = entries.get(streamId);
    return entry == null ? 0 : entry.version();
  }

  @Override
  public void apply(VersionedEvent event) {
    entries.compute(
        event.sourceId(),
        (id, entry) -> {
          long version = entry == null ? 0 : entry.version();
          if (event.version() != version + 1) {
            synchronized (violations) {
              violations.add(id + " got version " + event.version() + " after " + version);
            }
          }
          long total = entry == null ? 0 : entry.total();
          return new Entry(event.version(), total + event.eventAs(Deposited.class).amount());
        });
    // Counted after the entry is updated: a test that waits for N applications then reads entries.
    applications.incrementAndGet();
  }

  Map<String, Entry> entries() {
    return Map.copyOf(entries);
  }

  List<String> violations() {
    synchronized (violations) {
      return List.copyOf(violations);
    }
  }

  int applications() {
    return applications.get();
  }
}
