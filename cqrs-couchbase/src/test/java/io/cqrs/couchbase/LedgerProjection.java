package io.cqrs.couchbase;

import io.cqrs.Projection;
import io.cqrs.VersionedEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A read model for the relay tests: per stream, the applied version and the sum of the {@link
 * TestEvents.Deposited} amounts, updated together. It counts every application and records any that
 * breaks the exactly-once, in-order rule.
 */
final class LedgerProjection implements Projection {
  record Entry(long version, long total) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicInteger applications = new AtomicInteger();
  private final List<String> violations = new CopyOnWriteArrayList<>();

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
          long total = entry == null ? 0 : entry.total();
          if (event.version() != version + 1) {
            violations.add(id + ": applied " + event.version() + " after " + version);
          }
          return new Entry(
              event.version(), total + event.eventAs(TestEvents.Deposited.class).amount());
        });
    // Counted once the entry is stored: tests wait for N applications, then read the entries.
    applications.incrementAndGet();
  }

  int applications() {
    return applications.get();
  }

  List<String> violations() {
    return List.copyOf(violations);
  }

  Map<String, Entry> entries() {
    return Map.copyOf(entries);
  }
}
