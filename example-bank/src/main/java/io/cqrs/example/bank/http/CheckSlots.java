package io.cqrs.example.bank.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Rations slow secret checks: at most {@code slots} run at once, and a request finding none free
 * waits its turn (first come, first served) up to {@code wait}, so that a burst of sign-ins is
 * served rather than refused. A waiting request holds its thread, so at most {@code waiting} wait:
 * beyond them, and beyond the wait, a request is answered 503 {@code busy} with {@code
 * Retry-After}. Thread-safe.
 */
final class CheckSlots {
  private final Semaphore slots;
  private final int most;
  private final long waitNanos;
  private final AtomicInteger taken = new AtomicInteger();

  CheckSlots(int slots, int waiting, Duration wait) {
    if (slots < 1 || waiting < 0) {
      throw new IllegalArgumentException(
          "slots must be at least 1 and waiting at least 0, were " + slots + " and " + waiting);
    }
    this.slots = new Semaphore(slots, true);
    this.most = slots + waiting;
    this.waitNanos = wait.toNanos();
  }

  /**
   * The outcome of {@code check}, run once a slot is free.
   *
   * @throws ApiException 503 if too many checks run or wait, or none ended within the wait
   */
  boolean run(BooleanSupplier check) {
    if (taken.incrementAndGet() > most) {
      taken.decrementAndGet();
      throw busy();
    }
    try {
      if (!acquire()) {
        throw busy();
      }
      try {
        return check.getAsBoolean();
      } finally {
        slots.release();
      }
    } finally {
      taken.decrementAndGet();
    }
  }

  private boolean acquire() {
    try {
      return slots.tryAcquire(waitNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static ApiException busy() {
    return new ApiException(
        503, "busy", "Too many sign-ins at once; please retry", null, Map.of("Retry-After", "1"));
  }
}
