package io.cqrs.benchmarks;

import io.cqrs.EventProcessor;
import io.cqrs.TrackingEventProcessor;
import io.cqrs.TypeRegistry;
import io.cqrs.VersionedEvent;
import io.cqrs.memory.InMemoryEventStreamRepository;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * An in-memory store holding a log of deposits over {@value #STREAMS} streams, and the pieces the
 * processor benchmarks share: the read model (a total per stream), the hand-written catch-up loop,
 * and running a processor until it has handled a number of events.
 */
final class ProcessedLog {
  /** Streams the events are spread over. */
  static final int STREAMS = 1_000;

  /** Log positions a page holds, for the processor and the hand-written loop alike. */
  static final int PAGE = 256;

  /** One deposit. */
  record Credited(long amount) {}

  private final EventStreamRepository store;
  private final long[] versions = new long[STREAMS];

  /** A log of {@code events} deposits in memory, written in commits of up to 100 per stream. */
  ProcessedLog(int events) {
    this(new InMemoryEventStreamRepository(), events);
  }

  /**
   * A log of {@code events} deposits in {@code store} (which must be empty and a {@link
   * io.cqrs.spi.ProcessorStore}), written in commits of up to 100 events per stream.
   */
  ProcessedLog(EventStreamRepository store, int events) {
    this.store = store;
    int perStream = Math.max(1, events / STREAMS);
    int written = 0;
    while (written < events) {
      for (int s = 0; s < STREAMS && written < events; s++) {
        int count = Math.min(Math.min(100, perStream), events - written);
        append(s, count);
        written += count;
      }
    }
  }

  /** The types of the log's events, for a store that serializes them. */
  static TypeRegistry registry() {
    return new TypeRegistry().registerEvents(Credited.class);
  }

  EventStreamRepository store() {
    return store;
  }

  /** Appends {@code count} deposits to stream {@code s} in one commit; returns the last one. */
  VersionedEvent append(int s, int count) {
    String stream = "account-" + s;
    List<VersionedEvent> events = new ArrayList<>(count);
    long first = versions[s];
    for (int i = 1; i <= count; i++) {
      events.add(VersionedEvent.of(stream, first + i, new Credited(first + i), stream));
    }
    store.save(stream, first, events);
    versions[s] = first + count;
    return events.get(count - 1);
  }

  /** The read model a hand-written program builds: reads the log page by page and folds it. */
  Map<String, Long> handWrittenFold() {
    Map<String, Long> totals = new HashMap<>();
    long next = 1;
    while (true) {
      List<LoggedEvent> page = store.readLog(next, PAGE);
      for (LoggedEvent entry : page) {
        VersionedEvent event = entry.event();
        totals.merge(event.sourceId(), ((Credited) event.event()).amount(), Long::sum);
        next = entry.position() + 1;
      }
      if (page.size() < PAGE) {
        return totals;
      }
    }
  }

  /**
   * Starts processor {@code name}, waits until its handler has folded {@code events} events into a
   * fresh read model, closes it and returns the read model.
   */
  Map<String, Long> process(String name, long events) {
    Map<String, Long> totals = new HashMap<>();
    long[] handled = {0};
    CountDownLatch done = new CountDownLatch(1);
    TrackingEventProcessor processor =
        EventProcessor.tracking(name, store)
            .batchSize(PAGE)
            .handler(
                event -> {
                  totals.merge(event.sourceId(), ((Credited) event.event()).amount(), Long::sum);
                  if (++handled[0] == events) {
                    done.countDown();
                  }
                })
            .build();
    processor.start();
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while the processor caught up", e);
    } finally {
      processor.close(); // joins the segment's thread: its writes to totals are visible after
    }
    return totals;
  }
}
