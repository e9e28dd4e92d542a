package io.cqrs.testing;

import io.cqrs.VersionedEvent;
import io.cqrs.spi.EventStream;
import io.cqrs.spi.EventStreamRepository;
import io.cqrs.spi.LoggedEvent;
import io.cqrs.spi.Snapshot;
import io.cqrs.spi.StreamAppend;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link EventStreamRepository} that hands every call to another store: the base of a test store
 * that records, orders or fails some calls, which overrides only those and passes the rest on with
 * {@code super}.
 *
 * <p>Every method a store may answer in its own way is forwarded, the SPI's default methods ({@link
 * #loadStreamAfter}, the bounded {@link #loadStream(String, long, int)}, {@link #readLogEvents})
 * included, so callers get the delegate's answer. The overloads that only reshape their arguments
 * ({@code save(String, long, List)}, {@code save(String, long, List, String)}, {@code load(String,
 * long)}, {@code load(String)}) are not: they reach the delegate through {@link
 * #save(StreamAppend)} and {@link #loadStream(String, long)}, so a subclass that overrides those
 * two, {@link #saveChecked} (a save the caller has checked, which reaches the delegate's own),
 * {@link #loadStreamAfter} and the bounded {@link #loadStream(String, long, int)} sees every save
 * and every load.
 *
 * <p>It is an {@link EventStreamRepository} and nothing else, whatever the delegate is: a store
 * built on it hides the delegate's publication marks and processor claims, as a store without them
 * would. {@link ForwardingRelayStore} also forwards the marks; {@link ForwardingProcessorStore}
 * forwards processor claims. Thread-safe if the delegate and the subclass are.
 */
public abstract class ForwardingEventStreamRepository implements EventStreamRepository {
  private final EventStreamRepository delegate;

  /** A store that hands its calls to {@code delegate}. */
  protected ForwardingEventStreamRepository(EventStreamRepository delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public void save(StreamAppend append) {
    delegate.save(append);
  }

  @Override
  public void saveChecked(StreamAppend append) {
    delegate.saveChecked(append);
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion) {
    return delegate.loadStream(streamId, fromVersion);
  }

  @Override
  public EventStream loadStreamAfter(String streamId, long readVersion) {
    return delegate.loadStreamAfter(streamId, readVersion);
  }

  @Override
  public EventStream loadStream(String streamId, long fromVersion, int maxEvents) {
    return delegate.loadStream(streamId, fromVersion, maxEvents);
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
  public boolean discardSnapshot(String streamId, long aboveVersion) {
    return delegate.discardSnapshot(streamId, aboveVersion);
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
  public long logHead() {
    return delegate.logHead();
  }

  @Override
  public long logDistance(long fromPosition, long toPosition) {
    return delegate.logDistance(fromPosition, toPosition);
  }

  @Override
  public void recordIntegrationEvent(VersionedEvent event) {
    delegate.recordIntegrationEvent(event);
  }

  @Override
  public List<VersionedEvent> eventsByCorrelationId(String correlationId) {
    return delegate.eventsByCorrelationId(correlationId);
  }

  @Override
  public List<VersionedEvent> eventsCausedBy(String correlationId, String causationId) {
    return delegate.eventsCausedBy(correlationId, causationId);
  }
}
