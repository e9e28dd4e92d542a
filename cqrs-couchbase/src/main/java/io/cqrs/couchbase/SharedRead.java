package io.cqrs.couchbase;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * One read shared by the callers that ask at the same time (single flight): the first caller reads,
 * and those that ask while its read is in flight get its answer instead of sending their own. For a
 * value that readers may see a little late, such as the log's end to a polling event processor: the
 * dozen segment readers of a process polling together cost one counter read, not a dozen.
 */
final class SharedRead {
  private final LongSupplier read;
  private final AtomicReference<CompletableFuture<Long>> inFlight = new AtomicReference<>();

  SharedRead(LongSupplier read) {
    this.read = read;
  }

  /** The value, read now or by a call in flight; throws what that read threw. */
  long get() {
    CompletableFuture<Long> mine = new CompletableFuture<>();
    CompletableFuture<Long> current = inFlight.compareAndExchange(null, mine);
    if (current != null) {
      try {
        return current.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
    }
    try {
      long value = read.getAsLong();
      mine.complete(value);
      return value;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.compareAndSet(mine, null);
    }
  }
}
