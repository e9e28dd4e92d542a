package io.cqrs.example.bank.readmodel;

import io.cqrs.VersionedEvent;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The global event handler: sees every integration event this process receives, whatever its type,
 * as andrewwebber's README registers one for its integration log. The durable integration log is
 * the store's (every committed event, in commit order, by correlation id); this journal writes one
 * line per event to the SLF4J logger {@value #LOGGER} at INFO and counts events by type, which
 * shows what the bus delivers here. Thread-safe.
 */
public final class EventJournal {
  /** The logger the journal writes to; quiet unless its level is INFO or finer. */
  public static final String LOGGER = "io.cqrs.example.bank.events";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  /** Records one received event; usable directly as a global {@code VersionedEventHandler}. */
  public void record(VersionedEvent event) {
    Objects.requireNonNull(event, "event");
    counts.computeIfAbsent(event.eventType(), type -> new LongAdder()).increment();
    log.info(
        "{} v{} of {} (correlation {})",
        event.eventType(),
        event.version(),
        event.sourceId(),
        event.correlationId());
  }

  /** How many events of each type were received, by type name. */
  public Map<String, Long> counts() {
    Map<String, Long> snapshot = new TreeMap<>();
    counts.forEach((type, count) -> snapshot.put(type, count.sum()));
    return snapshot;
  }

  /** How many events were received in all (a redelivered event counts again). */
  public long total() {
    return counts.values().stream().mapToLong(LongAdder::sum).sum();
  }
}
