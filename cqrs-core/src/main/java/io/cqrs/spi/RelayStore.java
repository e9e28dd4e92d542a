package io.cqrs.spi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

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

  /**
   * {@link #markPublished}, without making the caller wait for the store where the store can send
   * the mark in the background. A mark only spares the relay publishing the events again (after its
   * grace period), so a caller with nothing to do on its outcome, such as {@link
   * io.cqrs.EventSourcingRepository} after each publish, need not wait a round trip for it. The
   * stage completes once the mark is written (the log reports the events published from then on),
   * exceptionally if it could not be written; a store that sends marks in the background waits for
   * those in flight when it closes.
   *
   * <p>The default marks on the caller's thread and returns a completed stage.
   *
   * @throws IllegalArgumentException at once, for arguments {@link #markPublished} rejects
   */
  default CompletionStage<Void> markPublishedAsync(
      String streamId, long fromVersion, long toVersion) {
    try {
      markPublished(streamId, fromVersion, toVersion);
      return CompletableFuture.completedFuture(null);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw e;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
