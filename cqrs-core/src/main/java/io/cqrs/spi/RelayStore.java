package io.cqrs.spi;

/**
 * What the publication relay keeps in the event store, next to the integration log: which commits
 * were published. The relay's lease and checkpoint are a fenced claim of a {@link ProcessorStore},
 * which the store must also be.
 *
 * <p>A store that implements this alongside {@link EventStreamRepository} makes publication
 * lossless: {@link io.cqrs.EventSourcingRepository} marks each commit published once the bus has
 * confirmed it, and an {@link io.cqrs.EventRelay} publishes whatever stays unmarked.
 * Implementations are thread-safe and pass {@code io.cqrs.testing.RelayStoreContract}.
 */
public interface RelayStore {

  /**
   * Marks events {@code fromVersion..toVersion} of a stream as published. Idempotent; marks of
   * events that do not exist are ignored. The integration log then reports them as {@link
   * LoggedEvent#published()}.
   */
  void markPublished(String streamId, long fromVersion, long toVersion);
}
