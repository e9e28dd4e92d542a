package io.cqrs.rabbitmq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What the event bus logs about events that reached no subscription queue. A service whose read
 * models are tracking processors (they read the store's log, not the bus) publishes every event to
 * an exchange nobody may consume yet: one line per event would bury the log. So each event type is
 * reported when it first reaches no queue, and after that at most once per {@link #INTERVAL}, with
 * the number of its events that reached none since the last report. Thread-safe.
 */
final class UnroutableLog {
  /** The shortest time between two reports of one event type. */
  static final Duration INTERVAL = Duration.ofMinutes(1);

  /** Event types remembered at most; beyond them every unroutable event is reported. */
  private static final int MAX_TYPES = 4_096;

  private final LongSupplier nanoTime;
  private final Consumer<String> sink;
  private final Map<String, Report> reports = new ConcurrentHashMap<>();

  /** One event type's reports: when the last was made, and what has not been reported since. */
  private static final class Report {
    final AtomicLong madeAt;
    final AtomicLong unreported = new AtomicLong();

    Report(long now) {
      madeAt = new AtomicLong(now);
    }
  }

  UnroutableLog(LongSupplier nanoTime, Consumer<String> sink) {
    this.nanoTime = nanoTime;
    this.sink = sink;
  }

  /** Records events the broker returned, reporting what is due. */
  void record(List<Returned> returned) {
    Map<String, List<Returned>> byType = new LinkedHashMap<>();
    for (Returned event : returned) {
      byType.computeIfAbsent(event.message().routingKey(), type -> new ArrayList<>()).add(event);
    }
    byType.forEach(this::record);
  }

  private void record(String type, List<Returned> events) {
    long now = nanoTime.getAsLong();
    Report report = reports.get(type);
    if (report == null) {
      if (reports.size() >= MAX_TYPES) {
        sink.accept(first(events));
        return;
      }
      Report fresh = new Report(now);
      report = reports.putIfAbsent(type, fresh);
      if (report == null) {
        sink.accept(first(events));
        return;
      }
    }
    report.unreported.addAndGet(events.size());
    long madeAt = report.madeAt.get();
    if (now - madeAt >= INTERVAL.toNanos() && report.madeAt.compareAndSet(madeAt, now)) {
      long count = report.unreported.getAndSet(0);
      if (count > 0) {
        sink.accept(
            count
                + " more event(s) of type '"
                + type
                + "' reached no subscription queue in the last "
                + Duration.ofNanos(now - madeAt).toSeconds()
                + " s; last: "
                + events.get(events.size() - 1).describe());
      }
    }
  }

  private static String first(List<Returned> events) {
    return events.size()
        + " event(s) of type '"
        + events.get(0).message().routingKey()
        + "' reached no subscription queue: "
        + events.get(0).describe()
        + ". No subscription of the bus receives this type yet (tracking processors read the"
        + " store's log and need none); the events stay in the store. Reported again at most once"
        + " a minute, with a count; failOnUnroutable(true) makes it an error of the publish,"
        + " warnOnUnroutable(false) a DEBUG line (the starter's"
        + " cqrs.bus.rabbitmq.unroutable-events).";
  }
}
