package io.cqrs.spi;

import java.time.Duration;

/**
 * What the publication relay keeps in the event store, next to the integration log: which commits
 * were published, a lease naming the one active relay, and durable checkpoints.
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

  /**
   * Takes the named lease for {@code owner}, or renews it if {@code owner} holds it, for {@code
   * ttl} from now. A lease whose holder did not renew it within its ttl is free.
   *
   * @return whether {@code owner} holds the lease now
   */
  boolean tryAcquireLease(String lease, String owner, Duration ttl);

  /** Gives up the lease if {@code owner} holds it; otherwise does nothing. */
  void releaseLease(String lease, String owner);

  /** The named checkpoint, or 0 if it was never saved. */
  long readCheckpoint(String name);

  /** Saves the named checkpoint; a position lower than the saved one is ignored. */
  void saveCheckpoint(String name, long position);
}
