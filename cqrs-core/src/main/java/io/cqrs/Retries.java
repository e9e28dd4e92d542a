package io.cqrs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/** How event processors tell a transient failure and wait before they try again. */
final class Retries {
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

  private Retries() {}

  /** A failure that trying again may cure: a transient cqrs exception or an I/O failure. */
  static boolean isTransient(Throwable e) {
    return (e instanceof CqrsException cqrs && cqrs.isTransient())
        || e instanceof IOException
        || e instanceof UncheckedIOException;
  }

  /** Parks for a jittered time that doubles with {@code attempt}, up to a second. */
  static void backOff(int attempt) {
    LockSupport.parkNanos(backOffNanos(attempt));
  }

  /** The jittered time {@link #backOff} waits, for a caller that waits its own way. */
  static long backOffNanos(int attempt) {
    long maxNanos = Math.min(MAX_BACKOFF.toNanos(), 1_000_000L << Math.min(attempt, 20));
    return ThreadLocalRandom.current().nextLong(maxNanos / 2, maxNanos + 1);
  }
}
