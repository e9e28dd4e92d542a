package io.cqrs.testing;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.StreamAppend;
import java.util.List;

/**
 * A store decorator through which a test orders the steps of competing deliveries: each call a
 * delivery makes to look a command up ({@link #eventsCausedBy}, {@link #eventsByCorrelationId}), to
 * load ({@link #load}) or to commit ({@link #save}) waits for that delivery's turn in a {@link
 * Turnstile}. The thread of a delivery says which party it is with {@link #as}; other threads pass
 * freely.
 */
final class ScheduledStore extends ForwardingEventStreamRepository {
  private final Turnstile turnstile;
  private final ThreadLocal<Integer> party = new ThreadLocal<>();

  public ScheduledStore(EventStreamRepository delegate, Turnstile turnstile) {
    super(delegate);
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
          super.save(append);
          return null;
        });
  }

  @Override
  public void saveChecked(StreamAppend append) {
    step(
        () -> {
          super.saveChecked(append);
          return null;
        });
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    return step(() -> super.loadStream(streamId, fromVersion));
  }

  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    return step(() -> super.loadStreamAfter(streamId, readVersion));
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion, int maxEvents) {
    return step(() -> super.loadStream(streamId, fromVersion, maxEvents));
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    return step(() -> super.eventsByCorrelationId(correlationId));
  }

  @Override
  public List<VersionedEvent> eventsCausedBy(String correlationId, String causationId) {
    return step(() -> super.eventsCausedBy(correlationId, causationId));
  }
}
