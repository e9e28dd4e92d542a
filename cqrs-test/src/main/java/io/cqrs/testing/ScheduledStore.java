package io.cqrs.testing;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Optional;

/**
 * A store decorator through which a test orders the steps of competing deliveries: each call a
 * delivery makes to look a command up ({@link #eventsByCorrelationId}), to load ({@link #load}) or
 * to commit ({@link #save}) waits for that delivery's turn in a {@link Turnstile}. The thread of a
 * delivery says which party it is with {@link #as}; other threads pass freely.
 */
final class ScheduledStore implements EventStreamRepository {
  private final EventStreamRepository delegate;
  private final Turnstile turnstile;
  private final ThreadLocal<Integer> party = new ThreadLocal<>();

  public ScheduledStore(EventStreamRepository delegate, Turnstile turnstile) {
    this.delegate = delegate;
    this.turnstile = turnstile;
  }

  /** Runs {@code work} on this thread as {@code party}, and says when the party is finished. */
  public void as(int party, Runnable work) {
    this.party.set(party);
    try {
      work.run();
    } finally {
      this.party.remove();
      turnstile.finish(party);
    }
  }

  private <T> T step(Turnstile.Step<T> step) {
    Integer current = party.get();
    return current == null ? step.run() : turnstile.step(current, step);
  }

  @Override
  public void save(StreamAppend append) {
    step(
        () -> {
          delegate.save(append);
          return null;
        });
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    return step(() -> delegate.loadStream(streamId, fromVersion));
  }

  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    return step(() -> delegate.loadStreamAfter(streamId, readVersion));
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    return step(() -> delegate.eventsByCorrelationId(correlationId));
  }

  @Override
  public long version(String streamId) {
    return delegate.version(streamId);
  }

  @Override
  public void saveSnapshot(Snapshot snapshot) {
    delegate.saveSnapshot(snapshot);
  }

  @Override
  public Optional<Snapshot> loadSnapshot(String streamId) {
    return delegate.loadSnapshot(streamId);
  }

  @Override
  public long logHead() {
    return delegate.logHead();
  }

  @Override
  public List<LoggedEvent> readLog(long fromPosition, int maxEvents) {
    return delegate.readLog(fromPosition, maxEvents);
  }

  @Override
  public List<LoggedEvent> readLogEvents(long fromPosition, int maxEvents) {
    return delegate.readLogEvents(fromPosition, maxEvents);
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    delegate.recordIntegrationEvent(event);
  }
}
